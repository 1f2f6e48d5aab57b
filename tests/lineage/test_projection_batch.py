"""Batch projection leaves the tables exactly as projecting one event at a time does.

The oracle is the projector as it was before batches (`projection_reference`). Random histories
exercise what order independence rests on: versions named by an input before their producer, inputs
without a version (latest at the event's time, or the unversioned node), create versus modify by
event time, deletes, run state changes, deployments per (model, environment), events without a run,
and equal times. Every row of every projection table (ids included) must match.
"""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from projection_reference import Projector as ReferenceProjector
from scenario import ml_history
from sqlalchemy import Engine, select, text

from lineage.db import writer_transaction
from lineage.prepare import prepare_batch
from lineage.projection import Projector, project_batch
from lineage.projection.sql import Sql
from lineage.queries import dataset_history, impact, trace
from lineage.rebuild import PROJECTIONS
from lineage.store import AuditStore
from lineage.timeutil import to_store_time

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from demo_events import demo_events  # bench/ holds scripts, not a package

Item = tuple[int, dict[str, Any], str]


@pytest.fixture
def engine(store: AuditStore) -> Engine:
    return store.engine


def _clear(engine: Engine) -> None:
    """Empty projections with ids starting over, so variants can be compared row for row."""
    names = ", ".join(model.__tablename__ for model in PROJECTIONS)
    with writer_transaction(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        else:
            for model in PROJECTIONS:
                conn.execute(model.__table__.delete())


def _dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for model in PROJECTIONS:
            table = model.__table__
            query = select(table).order_by(*table.primary_key.columns)
            tables[table.name] = [dict(row) for row in conn.execute(query).mappings()]
    return tables


def _one_by_one(projector: Callable[[Any], Any]) -> Callable[[Engine, list[Item]], None]:
    def project(engine: Engine, items: list[Item]) -> None:
        for item in items:
            with writer_transaction(engine) as conn:
                projector(conn).project(*item)

    return project


def _in_chunks(sizes: list[int]) -> Callable[[Engine, list[Item]], None]:
    def project(engine: Engine, items: list[Item]) -> None:
        start, turn = 0, 0
        while start < len(items):
            size = sizes[turn % len(sizes)]
            with writer_transaction(engine) as conn:
                project_batch(conn, items[start : start + size])
            start, turn = start + size, turn + 1

    return project


VARIANTS = {
    "whole batch": _in_chunks([10_000]),
    "chunks of 1-7": _in_chunks([3, 1, 7, 2, 5]),
    "one per batch": _one_by_one(Projector),
}


def _compare(engine: Engine, items: list[Item]) -> None:
    _clear(engine)
    _one_by_one(ReferenceProjector)(engine, items)
    expected = _dump(engine)
    for name, variant in VARIANTS.items():
        _clear(engine)
        variant(engine, items)
        assert _dump(engine) == expected, name


def _items(events: list[dict[str, Any]]) -> list[Item]:
    return [(seq, event, to_store_time(event["eventTime"])) for seq, event in enumerate(events, 1)]


def test_ml_history_matches_one_by_one(engine: Engine, kit) -> None:  # type: ignore[no-untyped-def]
    events = ml_history(kit)
    _compare(engine, _items(events))
    random.Random(3).shuffle(events)
    _compare(engine, _items(events))


@pytest.mark.parametrize("seed", range(12))
def test_random_histories_match_one_by_one(engine: Engine, seed: int) -> None:
    _compare(engine, _items(list(random_history(random.Random(seed), 60))))


def test_demo_like_events_match_one_by_one(engine: Engine, store: AuditStore) -> None:
    """The benchmark's capture-shaped events (valid, pseudonymized as the store would)."""
    prepared, rejected = prepare_batch(demo_events(400), privacy=store.pseudonymizer)
    assert rejected == []
    _compare(engine, [(seq, p.event, p.event_time) for seq, p in enumerate(prepared, 1)])


def test_large_batches_match_one_by_one(engine: Engine) -> None:
    """Enough new rows per table for the bulk paths (COPY on PostgreSQL, long VALUES lists)."""
    history = random_history(random.Random(99), 400, datasets=60, runs=150)
    _compare(engine, _items(list(history)))


def test_small_statements_match_one_by_one(engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Statements split to a few parameters each, and inserts re-read without RETURNING (the
    paths for old SQLite libraries)."""
    setup = Sql.__init__

    def limited(self: Sql, conn: Any) -> None:
        setup(self, conn)
        self.max_params, self.returning = 7, False

    monkeypatch.setattr(Sql, "__init__", limited)
    _compare(engine, _items(list(random_history(random.Random(5), 120, datasets=12))))


def test_store_batch_and_single_ingest_answer_alike(db_url: str, pg_database, kit) -> None:  # type: ignore[no-untyped-def]
    """Through the store: one batch or one event per call, the same lineage answers."""
    events = ml_history(kit)
    other_url = pg_database() if db_url.startswith("postgresql") else db_url + ".single"
    batch, single = AuditStore.open(db_url), AuditStore.open(other_url)
    try:
        batch.ingest(events)
        for event in events:
            single.ingest([event])
        for query in (
            lambda s: trace(s.engine, "model", version="m1"),
            lambda s: trace(s.engine, "model", as_of="2026-01-02T10:01:30Z"),
            lambda s: impact(s.engine, "raw"),
            lambda s: dataset_history(s.engine, "clean"),
        ):
            assert query(batch) == query(single)
        assert _dump(batch.engine) == _dump(single.engine)
    finally:
        batch.close()
        single.close()


# --- random histories -------------------------------------------------------------------------

NAMESPACE = "test"
FACET = {"_producer": "https://test", "_schemaURL": "https://test/schema.json"}


def random_history(
    rng: random.Random, count: int, *, datasets: int = 5, runs: int = 8
) -> Iterator[dict[str, Any]]:
    sizes = {"datasets": datasets, "runs": runs}
    for _ in range(count):
        yield _static_event(rng, sizes) if rng.random() < 0.08 else _run_event(rng, sizes)


def _time(rng: random.Random) -> str:
    return f"2026-03-01T10:{rng.randrange(12):02d}:00Z"  # few distinct times: many ties


def _dataset(rng: random.Random, sizes: dict[str, int], *, output: bool = False) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    version = rng.choice([None, None, "v0", "v1", "v2", "v3"])
    if version:
        facets["version"] = {**FACET, "datasetVersion": version}
    if rng.random() < 0.2:
        facets["datasetType"] = {**FACET, "datasetType": rng.choice(["MODEL", "model", "TABLE"])}
    if output and rng.random() < 0.15:
        change = rng.choice(["DROP", "TRUNCATE", "drop", "OVERWRITE"])
        facets = {"lifecycleStateChange": {**FACET, "lifecycleStateChange": change}}
    if rng.random() < 0.1:
        facets["schema"] = {**FACET, "fields": [{"name": "a"}]}
    return {
        "namespace": NAMESPACE,
        "name": f"d{rng.randrange(sizes['datasets'])}",
        "facets": facets,
    }


def _run_facets(rng: random.Random) -> dict[str, Any]:
    facets: dict[str, Any] = {"note": {**FACET, "n": rng.randrange(100)}}
    if rng.random() < 0.7:
        name = rng.choice(["alice", "bob", "svc", ""])
        facets["mlaudit_actor"] = {**FACET, "name": name, "kind": rng.choice(["user", "service"])}
    if rng.random() < 0.3:
        facets["parent"] = {**FACET, "run": {"runId": _run_id(rng.randrange(3))}}
    model = {"namespace": NAMESPACE, "name": f"d{rng.randrange(2)}"}
    if rng.random() < 0.6:
        model["version"] = rng.choice(["v0", "v1", "v2"])
    if rng.random() < 0.12:
        facets["mlaudit_evaluation"] = {**FACET, "model": model, "metrics": {"acc": 0.5}}
    if rng.random() < 0.2:
        action = rng.choice(["deploy", "update", "rollback", "retire", None])
        facet = {**FACET, "model": model, "environment": rng.choice(["prod", "staging"])}
        facets["mlaudit_deployment"] = {**facet, **({"action": action} if action else {})}
    return facets


def _run_id(number: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"batch-test-run:{number}"))


def _run_event(rng: random.Random, sizes: dict[str, int]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventTime": _time(rng),
        "run": {"runId": _run_id(rng.randrange(sizes["runs"])), "facets": _run_facets(rng)},
        "job": {"namespace": NAMESPACE, "name": f"j{rng.randrange(4)}"},
        "inputs": [_dataset(rng, sizes) for _ in range(rng.randrange(3))],
        "outputs": [_dataset(rng, sizes, output=True) for _ in range(rng.randrange(3))],
    }
    kind = rng.choice(["START", "RUNNING", "COMPLETE", "COMPLETE", "FAIL", "ABORT", "OTHER", None])
    if kind:
        event["eventType"] = kind
    if rng.random() < 0.5:
        event["job"]["facets"] = {"jobType": {**FACET, "jobType": rng.choice(["ASSET", "JOB"])}}
    return event


def _static_event(rng: random.Random, sizes: dict[str, int]) -> dict[str, Any]:
    if rng.random() < 0.5:
        return {"eventTime": _time(rng), "dataset": _dataset(rng, sizes)}
    job = {"namespace": NAMESPACE, "name": f"j{rng.randrange(4)}"}
    return {"eventTime": _time(rng), "job": job, "inputs": [_dataset(rng, sizes)], "outputs": []}
