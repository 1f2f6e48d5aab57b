"""A deterministic generator of realistic ML lineage at a chosen number of events.

    from bench.generator import LineageGenerator
    gen = LineageGenerator(100_000, seed=7)
    for batch in gen.batches(1000):      # lists of OpenLineage RunEvent dicts, time-ordered
        store.ingest(batch)
    gen.targets                          # what the query benchmark samples, from the bookkeeping

The world (bench/world.py) is a set of domains, each with raw sources, a feature pipeline of at
least 30 layers, models, evaluations and deployments. Time advances in refresh cycles, one domain
at a time: sources get new versions, most feature datasets are recomputed from the current
versions of their inputs, models are retrained, evaluated and deployed to staging and production
(and now and then rolled back), and between the writes people and dashboards read datasets and
models (input-only runs, four to five times as many as the writes). Every run is a START and a
COMPLETE (a few FAIL), its id a UUIDv7 of its start as OpenLineage's clients make them (or
random, `run_ids="v4"`). Events come out strictly ordered by eventTime over a simulated year, and
only the runs still open are held in memory, so a million events stream in constant space.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.events import custom, dataset_ref, dataset_written, error_facet, run_event
from bench.ml_steps import FAIL_RATE, MLSteps, Run, new_version
from bench.targets import TargetBook, Targets
from bench.world import Domain, Node, build_domain, people

# v7: what OpenLineage's clients make (time first, RFC 9562); v4: random, the indexes' worst case.
RUN_ID_KINDS = ("v7", "v4")
SIZES = {"small": 10_000, "medium": 100_000, "full": 1_000_000}
START = datetime(2026, 1, 1, tzinfo=UTC)
PERIOD = timedelta(days=365)
READS_PER_WRITE = 4.5


class LineageGenerator:
    """Streams `total` events of the simulated world; the same `seed` gives the same events."""

    def __init__(self, total: int, *, seed: int = 7, run_ids: str = "v7") -> None:
        if total < 2:
            raise ValueError(f"total must be at least 2 events, got {total}")
        if run_ids not in RUN_ID_KINDS:
            raise ValueError(f"run_ids must be one of {RUN_ID_KINDS}, got {run_ids!r}")
        self.run_ids = run_ids
        self.total = total
        self.rng = random.Random(seed)
        self.book = TargetBook(random.Random(seed + 1))
        count = max(2, min(64, total // 40_000))
        self.domains: list[Domain] = []
        for index in range(count):
            self.domains.append(build_domain(self.rng, index, list(self.domains)))
        self.users = people(self.rng, max(40, total // 250))
        self.services = [f"dashboard-{d.name}-{k}" for d in self.domains for k in range(3)]
        self.ml = MLSteps(self.rng, self.book)
        self.gap = PERIOD / (total / 2)  # mean time between run starts
        self.clock = START
        self._done = False

    @property
    def targets(self) -> Targets:
        if not self._done:
            raise RuntimeError("targets are known once every event has been generated")
        return self.book.targets(self.domains)

    def batches(self, size: int = 1000) -> Iterator[list[dict[str, Any]]]:
        batch: list[dict[str, Any]] = []
        for event in self.events():
            batch.append(event)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def events(self) -> Iterator[dict[str, Any]]:
        pending: list[tuple[datetime, int, dict[str, Any]]] = []
        emitted = scheduled = sequence = 0
        for run in self._runs():
            pairs = min(2, self.total - scheduled)
            self.clock += self.gap * self.rng.uniform(0.2, 1.8)
            while pending and pending[0][0] <= self.clock:
                yield heapq.heappop(pending)[2]
                emitted += 1
            for when, event in self._timed(run, pairs):
                sequence += 1
                heapq.heappush(pending, (when, sequence, event))
            scheduled += pairs
            if scheduled >= self.total:
                break
        while pending:
            yield heapq.heappop(pending)[2]
            emitted += 1
        self._done = True

    def _timed(self, run: Run, count: int) -> list[tuple[datetime, dict[str, Any]]]:
        # Writes end before the next run starts (readers see their output); reads may run long.
        span = self.gap * (self.rng.uniform(1, 20) if run.long else self.rng.uniform(0.05, 0.2))
        end = self.clock + span
        run_id = self._run_id(self.rng.getrandbits(128))
        facets = {"mlaudit_actor": _actor(*run.actor), **run.facets}
        failed = run.failed
        if count == 1:
            return [(self.clock, self._event("COMPLETE", self.clock, run_id, run, facets, True))]
        start = self._event("START", self.clock, run_id, run, facets, False)
        final = "FAIL" if failed else "COMPLETE"
        if failed:
            facets = {**facets, "errorMessage": _error()}
        return [
            (self.clock, start),
            (end, self._event(final, end, run_id, run, facets, not failed)),
        ]

    def _run_id(self, bits: int) -> str:
        if self.run_ids == "v4":
            return str(uuid.UUID(int=bits, version=4))
        return str(uuid7(self.clock, bits))

    def _event(
        self, kind: str, when: datetime, run_id: str, run: Run, facets: dict, wrote: bool
    ) -> dict[str, Any]:
        time = when.isoformat(timespec="microseconds")
        outputs = run.outputs if wrote else []
        return run_event(kind, time, run_id, run.job, facets, run.inputs, outputs)

    def _runs(self) -> Iterator[Run]:
        cycle = 0
        while True:
            domain = self.domains[cycle % len(self.domains)]
            yield from self._cycle(domain)
            cycle += 1

    def _cycle(self, domain: Domain) -> Iterator[Run]:
        for run in self._writes(domain):
            yield run
            for _ in range(self._reads_now()):
                yield self._read(domain)

    def _reads_now(self) -> int:
        whole = int(READS_PER_WRITE)
        return whole + (self.rng.random() < READS_PER_WRITE - whole)

    def _writes(self, domain: Domain) -> Iterator[Run]:
        schedule = (domain.schedule, "schedule")
        for source in domain.sources:
            for _ in range(self.rng.randint(1, 3)):
                yield self._write(source, ("ingest", schedule), [])
        holdout = domain.holdout
        ready = all(i.current for i in holdout.inputs)
        if ready and (holdout.current is None or self.rng.random() < 0.3):
            yield self._write(domain.holdout, ("split", schedule), domain.holdout.inputs)
        for layer in domain.layers:
            for node in layer:
                # A dataset waits for all its inputs (one may have failed); the first cycle
                # builds everything, later ones recompute most of it.
                if not all(i.current for i in node.inputs):
                    continue
                if node.current is None or self.rng.random() < 0.75:
                    actor = schedule if self.rng.random() < 0.9 else self._user()
                    yield self._write(node, ("transform", actor), node.inputs)
        for model in domain.models:
            if self.rng.random() < 0.6:
                yield from self.ml.release(domain, model, self._user(), lambda: self.clock)

    def _write(self, node: Node, how: tuple[str, tuple[str, str]], inputs: list[Node]) -> Run:
        verb, actor = how
        reads = [dataset_ref(i, str(i.current)) for i in inputs]
        job = (node.namespace, f"{verb}.{node.name}", "JOB")
        if self.rng.random() < FAIL_RATE:
            return Run(job, actor, reads, failed=True)
        self.book.wrote(node)
        rows = self.rng.randint(1_000, 5_000_000)
        return Run(job, actor, reads, [dataset_written(node, new_version(self.rng, node), rows)])

    def _read(self, home: Domain) -> Run:
        domain = home if self.rng.random() < 0.85 else self.rng.choice(self.domains)
        nodes = [n for n in self._readable(domain) if n.current]
        chosen = self.rng.sample(nodes, min(len(nodes), self.rng.randint(1, 3)))
        if self.rng.random() < 0.3:
            service = self.rng.choice(self.services)
            actor, job = (service, "service"), ("dashboards", service, "DASHBOARD")
        else:
            actor = self._user()
            job = ("notebooks", f"{actor[0]}/{domain.name}-analysis", "NOTEBOOK")
        reads = [dataset_ref(n, n.current) for n in chosen]
        return Run(job, actor, reads, long=True, failed=self.rng.random() < FAIL_RATE)

    def _readable(self, domain: Domain) -> list[Node]:
        # People mostly read the top of the pipeline, the models and the raw data.
        return [*domain.sources, *domain.layers[-1], *domain.layers[-2], *domain.models]

    def _user(self) -> tuple[str, str]:
        return (self.rng.choice(self.users), "user")


def _actor(name: str, kind: str) -> dict[str, Any]:
    return custom("ActorRunFacet", name=name, kind=kind, source="bench")


def _error() -> dict[str, Any]:
    return error_facet("Task exited with code 1: out of memory")


def uuid7(when: datetime, bits: int) -> uuid.UUID:
    """A UUIDv7 (RFC 9562) for `when`: 48 bits of Unix milliseconds, then 74 of `bits`."""
    millis = int(when.timestamp() * 1000) & (1 << 48) - 1
    rand_a, rand_b = bits >> 62 & 0xFFF, bits & (1 << 62) - 1
    return uuid.UUID(int=millis << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)
