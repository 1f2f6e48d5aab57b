"""Migration 0017: rows of runs and data_access are not indexed by actor id; the accesses whose
event named no actor are, by time, and the access profile's branch for them probes that index."""

from __future__ import annotations

import sqlite3

from migration_support import alembic
from sqlalchemy import Engine, inspect

from lineage.review.anomalies.access import DATA_ACCESS
from lineage.store import AuditStore

ACTOR_ID_INDEXES = {("runs", "ix_runs_actor_id"), ("data_access", "ix_data_access_actor_id")}
ACTORLESS = ("data_access", "ix_data_access_actorless")


def _indexes(engine: Engine) -> set[tuple[str, str]]:
    found = inspect(engine)
    return {(t, ix["name"]) for t in ("runs", "data_access") for ix in found.get_indexes(t)}


def test_the_migration_drops_the_actor_id_indexes_and_goes_back(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(db_url)
    store.ingest([kit.event("r", "read", time="2026-11-01T09:00:00Z", actor="alice")])
    now = _indexes(store.engine)
    assert ACTOR_ID_INDEXES.isdisjoint(now) and ACTORLESS in now
    alembic(store.engine, "downgrade", "0016")
    before = _indexes(store.engine)
    assert before >= ACTOR_ID_INDEXES and ACTORLESS not in before
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
