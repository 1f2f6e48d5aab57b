"""Database tuning the store applies: PostgreSQL planner statistics kept current as the log
grows, and SQLite's page size and a page cache sized for the log's random-key index."""

from __future__ import annotations

import sqlite3

from pg_statistics import analyzed_count, vacuumed

from lineage.analyzer import refresh_statistics, statistics_due, visibility_due
from lineage.db import SQLITE_CACHE_KIB, SQLITE_PAGE_SIZE, create_store_engine
from lineage.store import AuditStore
from lineage.verify import verify_log


def test_statistics_are_due_when_the_log_passes_a_power_of_two() -> None:
    assert statistics_due(1000, 1100)  # past 1024
    assert statistics_due(2047, 2048)
    assert not statistics_due(1100, 2000)
    assert statistics_due(10, 600)  # past 64, 128, 256 and 512
    assert not statistics_due(10, 60)  # too small to matter
    assert statistics_due(0, 5000)


def test_the_edges_are_vacuumed_sixteen_times_a_doubling() -> None:
    steps = [n for n in range(1, 1 << 20) if visibility_due(n - 1, n)]
    assert steps[:3] == [1024, 2048, 3072]  # never below VISIBILITY_FROM's step
    assert [n for n in steps if n >= 1 << 19] == [(16 + k) << 15 for k in range(16)]
    assert all(visibility_due(n - 1, n) for n in range(10, 21) for n in [1 << n])
    assert not visibility_due(10, 600)


def test_a_visibility_refresh_vacuums_without_analyzing(pg_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(pg_url)
    store.ingest([kit.event("r", "j", time="2026-01-01T00:00:00Z")])
    refresh_statistics(store.engine, analyze=False)
    analyzed = analyzed_count(store.engine, ["audit_log", "runs", "merkle_nodes"])
    found = vacuumed(store.engine)
    store.close()
    assert (analyzed, found) == (0, ["version_edges"])


def test_refresh_statistics_analyzes_the_query_tables(pg_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(pg_url)
    store.ingest([kit.event("r", "j", time="2026-01-01T00:00:00Z")])
    refresh_statistics(store.engine)
    analyzed = analyzed_count(store.engine, ["run_inputs", "run_outputs", "data_access"])
    store.close()
    assert analyzed == 3


def test_sqlite_connections_get_the_larger_page_cache(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB
    engine.dispose()


def test_a_new_sqlite_store_takes_the_larger_page(sqlite_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(sqlite_url)
    store.ingest([kit.event("r", "j", time="2026-01-01T00:00:00Z")])
    with store.engine.connect() as conn:
        size = conn.exec_driver_sql("PRAGMA page_size").scalar()
    store.close()
    assert size == SQLITE_PAGE_SIZE == 8192


def test_a_store_created_with_smaller_pages_keeps_them(tmp_path, kit) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as made:  # as a store created before the page size was chosen
        made.execute("PRAGMA page_size=4096")
        made.execute("PRAGMA journal_mode=WAL")
    store = AuditStore.open(f"sqlite:///{path}")
    result = store.ingest([kit.event("r", "j", time="2026-01-01T00:00:00Z")])
    with store.engine.connect() as conn:
        size = conn.exec_driver_sql("PRAGMA page_size").scalar()
    report = verify_log(store.engine, keys=store.keys)
    store.close()
    assert (len(result.accepted), size, report.ok) == (1, 4096, True)
