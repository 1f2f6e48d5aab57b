"""Batch projection leaves the tables exactly as projecting one event at a time does.

The oracle is the projector as it was before batches (`projection_reference`). Random histories
exercise what order independence rests on: versions named by an input before their producer, inputs
without a version (latest at the event's time, or the unversioned node), create versus modify by
event time, deletes, run state changes, deployments per (model, environment), events without a run,
and equal times. Every row of every projection table (ids included) must match.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from projection_histories import random_history
from projection_reference import Projector as ReferenceProjector
from projection_rows import projection_rows
from scenario import ml_history
from sqlalchemy import Engine, make_url, text

from lineage.db import writer_transaction
from lineage.prepare import prepare_batch
from lineage.projection import Projector, project_batch
from lineage.projection.sql import Sql
from lineage.projection.write import column_json
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
    expected = projection_rows(engine)
    for name, variant in VARIANTS.items():
        _clear(engine)
        variant(engine, items)
        assert projection_rows(engine) == expected, name


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


def test_large_batches_match_one_by_one(engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Enough new rows per table for the bulk paths (COPY on PostgreSQL, long VALUES lists, on
    SQLite the edge tables' rows several to a statement)."""
    grouped: list[str] = []
    insert = Sql._insert_triggered

    def counted(self: Sql, table: Any, *args: Any) -> None:
        grouped.append(table.name)
        insert(self, table, *args)

    monkeypatch.setattr(Sql, "_insert_triggered", counted)
    history = random_history(random.Random(99), 400, datasets=60, runs=150)
    _compare(engine, _items(list(history)))
    assert ("run_inputs" in grouped) == (engine.dialect.name == "sqlite")


def test_small_statements_match_one_by_one(engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Statements split to a few parameters each, and inserts re-read without RETURNING (the
    paths for old SQLite libraries)."""
    setup = Sql.__init__

    def limited(self: Sql, conn: Any) -> None:
        setup(self, conn)
        self.max_params, self.returning = 7, False

    monkeypatch.setattr(Sql, "__init__", limited)
    _compare(engine, _items(list(random_history(random.Random(5), 120, datasets=12))))


def test_psycopg2_driver_matches_one_by_one(pg_url: str) -> None:
    """An explicit postgresql+psycopg2 URL: no pipelines, no COPY, the same rows."""
    url = make_url(pg_url).set(drivername="postgresql+psycopg2")
    store = AuditStore.open(url.render_as_string(hide_password=False))
    try:
        assert store.engine.driver == "psycopg2"
        history = random_history(random.Random(11), 300, datasets=40, runs=100)
        _compare(store.engine, _items(list(history)))
    finally:
        store.close()


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
        assert projection_rows(batch.engine) == projection_rows(single.engine)
    finally:
        batch.close()
        single.close()


@pytest.mark.parametrize("value", [{"n": 2**70}, {"s": "é \u2028", "f": 0.1, "l": [None, True]}])
def test_json_columns_hold_what_reads_back_as_the_value(value: dict[str, Any]) -> None:
    assert json.loads(column_json(value)) == value
