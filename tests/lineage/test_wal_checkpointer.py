"""Background WAL checkpoints of SQLite stores (lineage.checkpointer): the ingesting process's
thread copies the WAL into the database file, so the writer's COMMIT does not."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from lineage import checkpointer
from lineage.checkpointer import NUDGE_ENTRIES
from lineage.db import SQLITE_PAGE_SIZE, SQLITE_WAL_BACKSTOP_BYTES, create_store_engine
from lineage.store import AuditStore


def _events(kit, count: int, start: int = 0) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        kit.event(f"run-{i}", f"job-{i % 7}", time=f"2026-01-01T00:00:{i % 60:02d}Z")
        for i in range(start, start + count)
    ]


def _wait_for(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_a_store_ingesting_enough_checkpoints_in_a_thread(sqlite_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(sqlite_url)
    database = Path(store.engine.url.database)
    empty = database.stat().st_size
    store.ingest(_events(kit, NUDGE_ENTRIES - 1))
    assert store._checkpointer is not None and store._checkpointer.runs == 0
    store.ingest(_events(kit, 1, start=NUDGE_ENTRIES))  # the nudge
    assert _wait_for(lambda: store._checkpointer.runs >= 1)
    # The writer's own checkpoint waits for 8,192 pages: only the thread copied the entries.
    assert database.stat().st_size > empty
    assert store.count_entries() == NUDGE_ENTRIES
    thread = store._checkpointer._thread
    assert thread is not None and thread.is_alive()
    store.close()
    assert not thread.is_alive() and not store._checkpointer.running


def test_the_wal_stays_bounded_under_sustained_ingest(sqlite_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    """The thread's checkpoints let the WAL restart from its beginning, so it does not grow
    with the log. The writers' own checkpoint would wait for 8,192 pages (32 MiB), more than
    this whole log: without the thread the WAL would hold all of it."""
    store = AuditStore.open(sqlite_url)
    wal = Path(f"{store.engine.url.database}-wal")
    largest = 0
    for batch in range(12):
        done = store._checkpointer.runs
        store.ingest(_events(kit, 500, start=batch * 500))
        # Each batch's checkpoint awaited: how far the thread lags depends on the machine's load.
        assert _wait_for(lambda done=done: store._checkpointer.runs > done)
        largest = max(largest, wal.stat().st_size)
    store.close()
    database_size = Path(store.engine.url.database).stat().st_size
    assert database_size < SQLITE_WAL_BACKSTOP_BYTES
    assert largest < database_size / 3  # 2.0 of 7.5 MB when written


def test_an_idle_thread_ends_and_the_next_nudge_starts_another(
    sqlite_url: str,
    kit,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(checkpointer, "IDLE_STOP_S", 0.05)
    store = AuditStore.open(sqlite_url)
    store.ingest(_events(kit, NUDGE_ENTRIES))
    assert _wait_for(lambda: store._checkpointer.runs == 1 and not store._checkpointer.running)
    store.ingest(_events(kit, NUDGE_ENTRIES, start=NUDGE_ENTRIES))
    assert _wait_for(lambda: store._checkpointer.runs == 2)
    store.close()
    assert not store._checkpointer.running


@pytest.mark.parametrize("memory", [True, False])
def test_postgresql_and_in_memory_stores_have_no_checkpointer(
    memory: bool, request: pytest.FixtureRequest
) -> None:
    url = "sqlite://" if memory else request.getfixturevalue("pg_url")
    store = AuditStore.open(url)
    assert store._checkpointer is None
    store.close()


def test_writers_checkpoint_themselves_past_the_backstop(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    with engine.connect() as conn:
        pages = conn.execute(text("PRAGMA wal_autocheckpoint")).scalar()
    engine.dispose()
    assert pages == SQLITE_WAL_BACKSTOP_BYTES // SQLITE_PAGE_SIZE == 4096


def test_the_backstop_is_the_same_bytes_in_a_store_of_smaller_pages(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as made:  # a store created before the page size was chosen
        made.execute("PRAGMA page_size=4096")
        made.execute("PRAGMA journal_mode=WAL")
    engine = create_store_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        pages = conn.execute(text("PRAGMA wal_autocheckpoint")).scalar()
    engine.dispose()
    assert pages == SQLITE_WAL_BACKSTOP_BYTES // 4096 == 8192
