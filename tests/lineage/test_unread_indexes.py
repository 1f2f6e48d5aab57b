"""Indexes no question asks, dropped: by actor id on runs and data_access (migration 0017; the
accesses whose event named no actor are indexed by time, and the access profile's branch for
them probes that index), by run id on dataset versions and evaluations (0018)."""

from __future__ import annotations

import sqlite3

from migration_support import alembic
from sqlalchemy import Engine, inspect

from lineage.review.anomalies.access import DATA_ACCESS
from lineage.store import AuditStore

ACTOR_ID_INDEXES = {("runs", "ix_runs_actor_id"), ("data_access", "ix_data_access_actor_id")}
ACTORLESS = ("data_access", "ix_data_access_actorless")
RUN_ID_INDEXES = {
    ("dataset_versions", "ix_dataset_versions_run_id"),
    ("evaluations", "ix_evaluations_run_id"),
}
TABLES = ("runs", "data_access", "dataset_versions", "evaluations")


def _indexes(engine: Engine) -> set[tuple[str, str]]:
    found = inspect(engine)
    return {(t, ix["name"]) for t in TABLES for ix in found.get_indexes(t)}


def test_the_migrations_drop_the_unread_indexes_and_go_back(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(db_url)
    store.ingest([kit.event("r", "read", time="2026-11-01T09:00:00Z", actor="alice")])
    now = _indexes(store.engine)
    assert ACTOR_ID_INDEXES.isdisjoint(now) and RUN_ID_INDEXES.isdisjoint(now)
    assert ACTORLESS in now
    alembic(store.engine, "downgrade", "0017")
    assert _indexes(store.engine) == now | RUN_ID_INDEXES
    alembic(store.engine, "downgrade", "0016")
    before = _indexes(store.engine)
    assert before == (now - {ACTORLESS}) | RUN_ID_INDEXES | ACTOR_ID_INDEXES
    alembic(store.engine, "upgrade", "head")
    assert _indexes(store.engine) == now
    store.close()


def test_the_profiles_branch_for_accesses_without_actor_probes_the_partial_index(
    sqlite_url: str,
) -> None:
    AuditStore.open(sqlite_url).close()
    sql = str(DATA_ACCESS).replace(":since", "?").replace(":until", "?")
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", ("a", "b") * 2)]
    assert any("USING INDEX ix_data_access_actorless" in step for step in plan), plan
