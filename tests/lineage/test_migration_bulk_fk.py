"""Migration 0012: PostgreSQL's bulk projection tables hold no foreign keys (the other tables and
SQLite keep theirs); downgrading restores them over the rows stored meanwhile."""

from __future__ import annotations

from migration_support import alembic
from sqlalchemy import Engine, text

from lineage.db import create_store_engine, migrate
from lineage.store import AuditStore

BULK = {"data_access", "run_inputs", "run_outputs", "runs", "entry_categories"}
FOREIGN_KEYS = text(
    "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f'"
)


def constrained_tables(engine: Engine) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for table, name in conn.execute(FOREIGN_KEYS):
            found.setdefault(table, set()).add(name)
    return found


def test_postgresql_bulk_tables_lose_their_foreign_keys_and_get_them_back(pg_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(pg_url)
    after = constrained_tables(store.engine)
    assert not BULK & after.keys()
    assert {"dataset_versions", "evaluations", "deployments"} <= after.keys()
    sides = {"inputs": [kit.dataset("raw")], "outputs": [kit.dataset("clean")], "actor": "alice"}
    start = kit.event("train", "job", event_type="START", time="2026-03-01T00:00:00Z", **sides)
    store.ingest([start, kit.event("train", "job", time="2026-03-01T00:01:00Z", **sides)])
    with store.engine.connect() as conn:  # rows for the restored keys to check
        assert conn.execute(text("SELECT count(*) FROM data_access")).scalar_one() == 2
    alembic(store.engine, "downgrade", "0011")
    before = constrained_tables(store.engine)
    assert before["data_access"] == {
        "data_access_dataset_id_fkey", "data_access_version_id_fkey", "data_access_actor_id_fkey"
    }  # fmt: skip
    assert before["runs"] == {"runs_job_id_fkey", "runs_actor_id_fkey"}
    assert before.keys() >= BULK
    alembic(store.engine, "upgrade", "head")
    assert constrained_tables(store.engine) == after
    store.close()


def test_sqlite_keeps_its_foreign_keys(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    migrate(engine)
    with engine.connect() as conn:
        for table in BULK:
            assert conn.execute(text(f"PRAGMA foreign_key_list({table})")).all(), table
    engine.dispose()
