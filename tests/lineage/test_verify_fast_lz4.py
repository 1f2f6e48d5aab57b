"""Migration 0011: new payloads lz4-compressed on PostgreSQL, old ones left as they were, and the
fast verify pass clean over a log holding both; nothing on SQLite or on a server without lz4."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from migration_support import alembic
from sqlalchemy import text

from lineage.db import MIGRATIONS, create_store_engine, migrate
from lineage.merkle.check import snapshot
from lineage.merkle.parallel import scan_fast
from lineage.store import AuditStore

WAYS = [10**9, 2]  # one pass, two halves
COMPRESSION = text(
    "SELECT pg_column_compression(payload) FROM audit_log WHERE length(payload) > 3000 ORDER BY seq"
)
COLUMN_METHOD = text(
    "SELECT attcompression FROM pg_attribute"
    " WHERE attrelid = 'audit_log'::regclass AND attname = 'payload'"
)


def migration() -> ModuleType:
    path = next((MIGRATIONS / "versions").glob("0011_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def big_event(kit, name: str) -> dict:  # type: ignore[no-untyped-def]
    """An event whose payload is well over the 2 KB at which PostgreSQL compresses a row."""
    inputs = [kit.dataset(f"warehouse/{name}/table_{i:03d}") for i in range(60)]
    return kit.event(name, f"job-{name}", time="2026-03-01T00:00:00Z", inputs=inputs)  # type: ignore[no-any-return]


def fast_clean(store: AuditStore, minimum: int) -> bool:
    with store.engine.connect() as conn, conn.begin():
        half = scan_fast(store.engine, conn, snapshot(conn), minimum)
    return half is not None and half.clean


@pytest.fixture
def pg_store(pg_url: str):  # type: ignore[no-untyped-def]
    store = AuditStore.open(pg_url)
    with store.engine.connect() as conn:
        if not migration().lz4_available(conn):
            pytest.skip("this PostgreSQL server was built without lz4")
    yield store
    store.close()


@pytest.mark.parametrize("minimum", WAYS)
def test_old_rows_keep_pglz_new_ones_get_lz4_and_verify_reads_both(pg_store, kit, minimum) -> None:  # type: ignore[no-untyped-def]
    alembic(pg_store.engine, "downgrade", "0010")
    pg_store.ingest([big_event(kit, "before")])
    alembic(pg_store.engine, "upgrade", "head")
    pg_store.ingest(
        [big_event(kit, "after"), kit.event("small", "job", time="2026-03-01T00:00:00Z")]
    )
    with pg_store.engine.connect() as conn:
        assert conn.execute(COMPRESSION).scalars().all() == ["pglz", "lz4"]
    assert fast_clean(pg_store, minimum)


def test_downgrade_returns_the_column_to_the_default(pg_store) -> None:  # type: ignore[no-untyped-def]
    with pg_store.engine.connect() as conn:
        assert conn.execute(COLUMN_METHOD).scalar_one() == "l"
    alembic(pg_store.engine, "downgrade", "0010")
    with pg_store.engine.connect() as conn:
        assert conn.execute(COLUMN_METHOD).scalar_one() == ""  # the server's default


def test_without_lz4_the_column_is_left_alone(pg_store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    alembic(pg_store.engine, "downgrade", "0010")
    module = migration()
    monkeypatch.setattr(module, "lz4_available", lambda conn: False)
    with pg_store.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()
    with pg_store.engine.connect() as conn:
        assert conn.execute(COLUMN_METHOD).scalar_one() == ""


def test_sqlite_migrates_up_and_down_unchanged(sqlite_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    engine = create_store_engine(sqlite_url)
    migrate(engine)
    with engine.connect() as conn:
        assert not migration().lz4_available(conn)
    alembic(engine, "downgrade", "0010")
    alembic(engine, "upgrade", "head")
    store = AuditStore(engine)
    store.ingest([big_event(kit, "one")])
    assert fast_clean(store, 10**9)
    engine.dispose()
