"""The tree grows with the log in the writer's transaction, with O(log n) reads, and old stores
get their tree from the migration."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from alembic import command
from alembic.config import Config
from scenario import ml_history
from sqlalchemy import Engine, event, func, insert, select
from tamper import drop_guards
from tamper_tree import cut_log_tail, cut_tree_tail, drop_tree_guards

from lineage.append import LOG_COLUMNS, _log_row
from lineage.chain import GENESIS_HASH
from lineage.db import MIGRATIONS, create_store_engine, migrate
from lineage.errors import IntegrityError
from lineage.merkle.entries import entries_bytes, stored_entry_bytes
from lineage.merkle.layout import nodes_for_size
from lineage.merkle.proofs import consistency_proof, inclusion_proof
from lineage.merkle.tree import Frontier, root_at, stored_size
from lineage.models import LogEntry
from lineage.models.merkle import MerkleNode
from lineage.prepare import prepare_batch
from lineage.projection.sql import Query, Sql
from lineage.store import AuditStore
from lineage.verify import verify_log


@contextmanager
def tree_statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement that touches the tree's node table while the block runs (through
    SQLAlchemy, or on the driver through lineage.projection.sql.Sql as the append does), in
    this thread: the store's statistics refresher ANALYZEs the table from a thread of its own."""
    seen: list[str] = []
    caller = threading.get_ident()

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "merkle_nodes" in statement and threading.get_ident() == caller:
            seen.append(statement)

    fetch, many = Sql.fetch, Sql.many

    def fetched(self: Sql, *queries: Query) -> list:  # type: ignore[type-arg]
        for query in queries:
            for text, _ in query.statements:
                record(None, None, text)
        return fetch(self, *queries)

    def executed(self: Sql, text: str, rows: list) -> None:  # type: ignore[type-arg]
        record(None, None, text)
        many(self, text, rows)

    event.listen(engine, "before_cursor_execute", record)
    Sql.fetch, Sql.many = fetched, executed  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Sql.fetch, Sql.many = fetch, many  # type: ignore[method-assign]
        event.remove(engine, "before_cursor_execute", record)


def events(kit, count: int, tag: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        kit.event(f"{tag}-{i}", "job", time="2026-02-01T00:00:00Z", outputs=[kit.dataset(tag)])
        for i in range(count)
    ]


def test_every_entry_gets_its_leaf_in_the_same_transaction(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit)[:3])
    store.ingest(ml_history(kit))  # seven new, three duplicates: no leaves for duplicates
    with store.engine.connect() as conn:
        assert stored_size(conn) == (10, True)
        count = conn.execute(select(func.count()).select_from(MerkleNode)).scalar_one()
        frontier = Frontier()
        frontier.extend(list(entries_bytes(conn, 0, 10)), [])
        assert root_at(conn, 10) == frontier.root()
    assert count == nodes_for_size(10)


def test_a_failed_append_leaves_neither_entries_nor_leaves(store, kit, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit)[:4])

    def broken(conn, new, *preload) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("projection failed")

    monkeypatch.setattr("lineage.store.project_entries", broken)
    with pytest.raises(RuntimeError):
        store.ingest(ml_history(kit))
    with store.engine.connect() as conn:
        assert stored_size(conn) == (4, True) and store.count_entries() == 4


def test_append_reads_the_tree_a_constant_number_of_times_per_batch(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(events(kit, 37, "warm"))
    with tree_statements(store.engine) as small:
        store.ingest(events(kit, 3, "small"))
    with tree_statements(store.engine) as large:
        store.ingest(events(kit, 300, "large"))
    # Whatever the batch size: on SQLite the size, the frontier and one executemany of the new
    # nodes; on PostgreSQL size and frontier come in the append's one read, then the insert.
    expected = 2 if store.dialect == "postgresql" else 3
    assert len(small) == len(large) == expected
    assert verify_log(store.engine).ok


def test_proofs_are_a_few_primary_key_reads(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(events(kit, 100, "p"))
    with tree_statements(store.engine) as seen, store.engine.connect() as conn:
        inclusion_proof(conn, 41, 97)
        consistency_proof(conn, 13, 100)
    assert len(seen) == 4  # each: the tree's size, then one IN (...) read by position
    assert all("max(" in s or " IN " in s.upper() for s in seen)


def test_old_store_gets_its_tree_from_the_migration(sqlite_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    engine = create_store_engine(sqlite_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")  # the schema before the tree existed
    prepared, _ = prepare_batch(ml_history(kit), privacy=AuditStore(engine).pseudonymizer)
    rows, prev = [], GENESIS_HASH
    for seq, item in enumerate(prepared, start=1):
        values, _ = _log_row(item, seq, prev, None, "2026-01-01T00:00:00.000000Z")
        row = dict(zip(LOG_COLUMNS, values, strict=True))
        rows.append(row)
        prev = row["entry_hash"]
    with engine.begin() as conn:
        conn.execute(insert(LogEntry.__table__), rows)
    migrate(engine)
    report = verify_log(engine)
    assert report.ok and report.tree.size == 10
    frontier = Frontier()
    frontier.extend([stored_entry_bytes(*_columns(r)) for r in rows], [])
    assert report.tree.root == frontier.root()
    engine.dispose()


def _columns(row: dict) -> tuple:  # type: ignore[type-arg]
    names = ("seq", "key", "received_at", "submitter", "normalizations", "payload")
    return tuple(row[n] for n in names)


def test_append_catches_up_a_tree_behind_the_log(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    drop_tree_guards(store.engine)
    cut_tree_tail(store.engine, keep=6)
    store.ingest(events(kit, 2, "later"))
    report = verify_log(store.engine)
    assert report.ok and report.tree.size == 12


def test_append_refuses_to_fork_a_truncated_log(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    drop_guards(store.engine)
    cut_log_tail(store.engine, keep=8)
    with pytest.raises(IntegrityError, match="holds 10 leaves but the log ends at seq 8"):
        store.ingest(events(kit, 1, "after"))
    assert store.count_entries() == 8


def test_parallel_writers_keep_log_and_tree_together(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    AuditStore.open(db_url).close()

    def write(writer: int) -> None:
        store = AuditStore.open(db_url, run_migrations=False)
        for batch in range(8):
            store.ingest(events(kit, 3, f"w{writer}-{batch}"))
        store.close()

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(write, range(3)))
    store = AuditStore.open(db_url)
    report = verify_log(store.engine)
    assert report.ok and report.tree.size == report.chain.entries == 72
    store.close()
