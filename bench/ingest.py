"""Figure 1 (batch): events per second through `AuditStore.ingest`, and the raw-insert floor.

Each repeat ingests the generator's events into a fresh, empty store in batches (validation,
pseudonymization, hash chain, Merkle leaves, projections: the real path), then inserts the same
rows into a bare table of the same database. Only the calls are timed, not generating events.
The last repeat's store is kept (`Loaded`) for the query, integrity and storage figures.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from bench.common import Figure, figure, fresh_database, own_keys
from bench.generator import LineageGenerator
from bench.raw_insert import raw_insert_seconds
from bench.targets import Targets
from lineage.store import AuditStore

BATCH = 1000
TARGETS = {"sqlite": 20_000, "postgres": 10_000}


@dataclass
class Loaded:
    """A store holding the whole generated lineage, as the last ingest repeat left it."""

    database: str
    url: str
    store: AuditStore
    events: int
    json_bytes: int
    targets: Targets


@dataclass
class Pass:
    ingest_rate: float
    raw_rate: float
    json_bytes: int


def ingest_pass(store: AuditStore, generator: LineageGenerator, *, count_json: bool) -> Pass:
    """Ingest every event of `generator` into `store`, then time the raw insert of its rows."""
    spent, json_bytes = 0.0, 0
    for batch in generator.batches(BATCH):
        if count_json:
            json_bytes += sum(len(json.dumps(e, separators=(",", ":")).encode()) for e in batch)
        began = time.perf_counter()
        result = store.ingest(batch)
        spent += time.perf_counter() - began
        if result.rejected:
            raise RuntimeError(f"the store rejected generated events: {result.rejected[:3]}")
    stored = store.count_entries()
    if stored != generator.total:
        raise RuntimeError(f"stored {stored} entries of {generator.total} events")
    raw = raw_insert_seconds(store.engine, 1, stored)
    return Pass(generator.total / spent, generator.total / raw, json_bytes)


@contextmanager
def measured_load(
    database: str, events: int, repeats: int, seed: int = 7, run_ids: str = "v7"
) -> Iterator[tuple[list[Figure], Loaded]]:
    """Run the ingest repeats; yield their figures and the last repeat's loaded store, which is
    closed and removed when the block ends."""
    passes: list[Pass] = []
    for repeat in range(repeats):
        with ExitStack() as stack:
            url = stack.enter_context(fresh_database(database))
            stack.enter_context(own_keys())
            store = AuditStore.open(url)
            generator = LineageGenerator(events, seed=seed, run_ids=run_ids)
            passes.append(ingest_pass(store, generator, count_json=repeat == repeats - 1))
            if repeat < repeats - 1:
                store.close()
                continue
            loaded = Loaded(database, url, store, events, passes[-1].json_bytes, generator.targets)
            try:
                yield _figures(database, passes, run_ids), loaded
            finally:
                store.close()


def _figures(database: str, passes: list[Pass], run_ids: str) -> list[Figure]:
    note = f"{BATCH} events per ingest call; UUID{run_ids} run ids; fresh database per repeat"
    rates = [p.ingest_rate for p in passes]
    raw = [p.raw_rate for p in passes]
    kind = "COPY" if database == "postgres" else "executemany"
    return [
        figure("ingest batch", rates, "events/s", (">=", TARGETS[database]), note),
        figure("raw insert of the same rows", raw, "rows/s", None, f"{kind}, bare table"),
        figure(
            "ingest / raw insert",
            [p.ingest_rate / p.raw_rate for p in passes],
            "ratio",
            None,
            "both measured in the same run",
        ),
    ]
