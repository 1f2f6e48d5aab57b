"""Migration 0014: PostgreSQL's edge triggers plan a bulk insert's join for its own rows, and
small inserts keep a plan made for a small insert (a bulk load's plan had read a whole table for
every later one-row insert on its connection). Read from the plans themselves: auto_explain
sends each nested statement's plan to the client, with the rows the planner expected in the
transition table."""

from __future__ import annotations

import re

import psycopg
import pytest
from migration_support import alembic

from lineage.store import AuditStore

SCAN = re.compile(r"Named Tuplestore Scan +\(cost=[0-9.]+ rows=(\d+) ")  # of `inserted`
INSERT = (
    "INSERT INTO run_inputs (run_id, version_id, event_time, seq)"
    " SELECT 'run' || i, i, '2026-02-01T00:00:00Z', i FROM generate_series(%s::int, %s::int) AS i"
)


def _planned_rows(url: str, sizes: list[int]) -> list[int]:
    """Insert `sizes` rows per statement on one connection; the rows the trigger's plan expected
    in the transition table, for each insert. Rolled back."""
    found: list[int] = []
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        conn.add_notice_handler(lambda notice: found.extend(_scans(notice.message_primary)))
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_nested_statements = on",
            "SET auto_explain.log_analyze = on",
            "SET auto_explain.log_level = notice",
        ):
            conn.execute(setting)
        first = 1
        for size in sizes:
            conn.execute(INSERT, (first, first + size - 1))
            first += size
        conn.rollback()
    return found


def _scans(message: str | None) -> list[int]:
    """The edge insert's transition-table scan (the trigger's size check scans it too)."""
    if message is None or "INSERT INTO version_edges" not in message:
        return []
    return [int(rows) for rows in SCAN.findall(message)]


def test_many_rows_are_planned_for_their_own_and_a_few_for_a_few(pg_url: str) -> None:
    """Inserts of many rows (COPY) are planned each for its rows; those of a few (one event's)
    share the plan made for the first of them, which no bulk load's plan replaces."""
    store = AuditStore.open(pg_url)
    store.close()
    assert _planned_rows(pg_url, [1000, 1, 3, 2000, 1]) == [1000, 1, 1, 2000, 1]


def test_before_it_the_first_insert_s_plan_served_every_later_one(pg_url: str) -> None:
    store = AuditStore.open(pg_url)
    alembic(store.engine, "downgrade", "0013")
    store.close()
    assert _planned_rows(pg_url, [1000, 1]) == [1000, 1000]


@pytest.mark.parametrize("revision", ["0013", "head"])
def test_the_edges_are_the_same_either_way(db_url: str, kit, revision: str) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(db_url)
    alembic(store.engine, "downgrade", "0013")
    alembic(store.engine, "upgrade", revision)
    source, model = kit.dataset("raw", "v1"), kit.dataset("model", "v1")
    first = kit.event("train", "job", time="2026-02-01T00:00:00Z", inputs=[source], outputs=[model])
    extra = [kit.dataset("extra", "v1")]
    later = kit.event("train", "job", time="2026-02-01T00:01:00Z", inputs=extra, outputs=[])
    store.ingest([first])
    store.ingest([later])
    with store.engine.connect() as conn:
        edges = conn.exec_driver_sql("SELECT count(*) FROM version_edges").scalar_one()
    assert edges == 2  # one per side of the trigger: outputs then inputs of one run
    store.close()
