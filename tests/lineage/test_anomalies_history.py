"""Realistic audit histories for the anomaly tests, and the check that routine activity is quiet.

A `History` collects OpenLineage events with past eventTimes (dataset reads, writes, deletions,
trainings, evaluations, deployments) and user actions reading the log, and counts what each
person read per day so tests can state the baseline the review must report. `routine_world`
is four weeks of ordinary work before a window day and the ordinary work of that day.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from lineage.accounts.actions import user_action_event
from lineage.authz import Principal
from lineage.review.anomalies import review_anomalies
from lineage.review.context import ReviewContext, ReviewWindow

WINDOW_DAY = date(2026, 11, 1)
HISTORY_DAYS = 28
TAGS_SCHEMA = "https://openlineage.io/spec/facets/1-0-0/TagsDatasetFacet.json"
LIFECYCLE_SCHEMA = "https://openlineage.io/spec/facets/1-0-1/LifecycleStateChangeDatasetFacet.json"
MODEL = {"namespace": "test", "name": "model"}


class History:
    def __init__(self, kit: Any, window_day: date = WINDOW_DAY) -> None:
        self.kit, self.window_day = kit, window_day
        self.events: list[dict[str, Any]] = []
        self.reads: Counter[tuple[str, str]] = Counter()
        self._runs = itertools.count()

    def at(self, day: int, hour: int, minute: int = 0) -> str:
        """Store time `day` days after the window day (negative: before) at hour:minute UTC."""
        moment = datetime.combine(self.window_day, time(hour, minute), UTC) + timedelta(days=day)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def run(self, actor: str, when: str, job: str, **parts: Any) -> None:
        name = f"{job}-{next(self._runs)}"
        self.events.append(self.kit.event(name, job, time=when, actor=actor, **parts))

    def read(self, actor: str, names: list[str], when: str) -> None:
        inputs = [self.kit.dataset(name) for name in names]
        self.run(actor, when, "read", inputs=inputs)
        self.reads[(actor, when[:10])] += len(names)

    def write(self, actor: str, name: str, version: str, when: str, *, personal: bool) -> None:
        facets = {"tags": self.tags(("pii", "true"))} if personal else {}
        self.run(actor, when, "write", outputs=[self.kit.dataset(name, version, **facets)])

    def delete(self, actor: str, names: list[str], when: str) -> None:
        drop = {"_producer": "https://test", "_schemaURL": LIFECYCLE_SCHEMA}
        drop["lifecycleStateChange"] = "DROP"
        outputs = [self.kit.dataset(name, lifecycleStateChange=drop) for name in names]
        self.run(actor, when, "cleanup", outputs=outputs)

    def log_read(self, person: str, when: str, action: str = "log.read.trace") -> None:
        principal = Principal(name=person, roles=("auditor",))
        event = user_action_event(principal, action, {"kind": "model", "name": "test/model"})
        event["eventTime"] = when
        self.events.append(event)
        self.reads[(person, when[:10])] += 1

    def release(self, version: str, day: int, metrics: dict[str, float]) -> None:
        """Train, evaluate and deploy one model version (by `mlops`, around 10:00)."""
        model = self.kit.dataset("model", version, model=True)
        facet = self.kit.facet
        self.run(
            "mlops",
            self.at(day, 10, 0),
            "train",
            inputs=[self.kit.dataset("features")],
            outputs=[model],
        )
        evaluation = facet(
            "EvaluationRunFacet", model={**MODEL, "version": version}, metrics=metrics, checks=[]
        )
        self.run(
            "mlops", self.at(day, 10, 10), "evaluate", inputs=[model], mlaudit_evaluation=evaluation
        )
        deployment = facet(
            "DeploymentRunFacet",
            environment="production",
            model={**MODEL, "version": version},
            action="deploy",
        )
        self.run(
            "mlops", self.at(day, 10, 20), "deploy", inputs=[model], mlaudit_deployment=deployment
        )

    def tags(self, *pairs: tuple[str, str]) -> dict[str, Any]:
        items = [{"key": k, "value": v, "source": "TEST"} for k, v in pairs]
        return {"_producer": "https://test", "_schemaURL": TAGS_SCHEMA, "tags": items}

    def ingest(self, store: Any) -> None:
        store.ingest_many(self.events)

    def context(self, store: Any, config: dict[str, Any] | None = None) -> ReviewContext:
        since, until = self.at(0, 0), self.at(1, 0)
        return ReviewContext(store, ReviewWindow(since, until), until, config or {})


def routine_world(kit: Any, *, deployed_accuracy: float = 0.95) -> History:
    """Four weeks of ordinary work, then an ordinary window day."""
    h, rng = History(kit), random.Random(7)
    h.write("alice", "patients", "p1", h.at(-HISTORY_DAYS, 8, 30), personal=True)
    for day in range(-HISTORY_DAYS, 1):
        _office_day(h, rng, day)
    for number, day in enumerate((-25, -20, -15, -10, -5), start=1):
        metrics = {"accuracy": 0.95 + 0.002 * (number % 3 - 1), "log_loss": 0.12}
        h.release(f"m{number}", day, metrics)
    h.release("m6", 0, {"accuracy": deployed_accuracy, "log_loss": 0.121})
    # A newcomer: no history, a large read at night, and a new personal dataset read by them.
    h.read("carol", [f"shared/table_{k}" for k in range(50)], h.at(0, 2, 15))
    h.write("alice", "new_pii", "n1", h.at(0, 12, 0), personal=True)
    h.read("carol", ["new_pii"], h.at(0, 13, 0))
    return h


def _office_day(h: History, rng: random.Random, day: int) -> None:
    def tables(n: int) -> list[str]:
        return [f"shared/table_{k}" for k in rng.sample(range(60), n)]

    h.read("alice", tables(10 + day % 5), h.at(day, rng.randint(9, 16), rng.randint(0, 59)))
    h.read("alice", ["patients"], h.at(day, 11, 0))
    for _ in range(5):  # bob: busy but regular, about 200 reads a day
        h.read("bob", tables(rng.randint(36, 44)), h.at(day, rng.randint(8, 17), 30))
    for person, low, high in (("grace", 6, 9), ("erin", 5, 8), ("frank", 4, 6)):
        h.read(person, tables(rng.randint(low, high)), h.at(day, rng.randint(9, 17), 5))
        h.read(person, tables(2), h.at(day, rng.randint(9, 17), 45))
    for _ in range(rng.randint(4, 6)):
        h.log_read("dave", h.at(day, rng.randint(10, 16), rng.randint(0, 59)))
    # A nightly cleanup deleting 25 scratch datasets: many deletions, but always.
    h.delete("cleanup", [f"scratch/{day}_{k}" for k in range(25)], h.at(day, 1, 0))


def test_routine_activity_raises_nothing(store, kit) -> None:  # type: ignore[no-untyped-def]
    world = routine_world(kit)
    world.ingest(store)
    assert review_anomalies(world.context(store)) == []
