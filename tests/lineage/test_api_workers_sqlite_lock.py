"""The writer flock of SQLite stores (lineage.db.writer_transaction), for `serve --workers N`.

Two processes committing in turns keep the WAL bounded: without the flock the next writer began
before the last commit's checkpoint had run and the WAL was not restarted (8.4-22.9 MB after
2 x 1,000 commits of 8 KiB in four runs, against 4.1 MB with it, when writers checkpointed at
SQLite's default of 1,000 pages; the commits here are eight times larger, as is the
checkpoint). A writer waits for the flock no longer than SQLite's busy timeout and then fails
as SQLite would, threads of one process included. In-memory databases take none.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from lineage import db
from lineage.db import (
    SQLITE_PAGE_SIZE,
    SQLITE_WAL_BACKSTOP_BYTES,
    WRITER_FLOCK_SUFFIX,
    create_store_engine,
    writer_transaction,
)

ROW = 65_536  # bytes per commit: 9 pages with the overflow chain
COMMITS = 1000  # per process: 2 x 9,000 pages of WAL frames, four times the checkpoint size
# Writers checkpoint past the backstop (a page and its 24-byte frame header each); then one
# commit more at most.
WAL_BOUND = (SQLITE_WAL_BACKSTOP_BYTES // SQLITE_PAGE_SIZE + 100) * (SQLITE_PAGE_SIZE + 24)


def _scratch(url: str) -> None:
    engine = create_store_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, data BLOB)"))
    engine.dispose()


def _commit_rows(url: str, commits: int) -> None:
    engine = create_store_engine(url)
    row = os.urandom(ROW)
    for _ in range(commits):
        with writer_transaction(engine) as conn:
            conn.execute(text("INSERT INTO scratch (data) VALUES (:d)"), {"d": row})
    engine.dispose()


def test_two_writer_processes_keep_the_wal_bounded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    _scratch(url)
    wal = tmp_path / "audit.db-wal"
    spawn = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    writers = [spawn.Process(target=_commit_rows, args=(url, COMMITS)) for _ in range(2)]
    for writer in writers:
        writer.start()
    largest = 0
    while any(writer.is_alive() for writer in writers):
        # The last connection to close deletes the WAL: between a look and a stat, too.
        with contextlib.suppress(FileNotFoundError):
            largest = max(largest, wal.stat().st_size)
        time.sleep(0.01)
    assert [writer.exitcode for writer in writers] == [0, 0]
    engine = create_store_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 2 * COMMITS
    engine.dispose()
    assert 0 < largest <= WAL_BOUND, largest


def test_a_writer_waits_for_the_flock_as_long_as_sqlite_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder is another thread of this process: each hold has its own descriptor, so the
    flock excludes threads too, and the waiter fails at the flock's timeout, not SQLite's."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    _scratch(url)
    engine = create_store_engine(url)  # SQLite's own busy timeout stays 30 s
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_S", 0.3)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_transaction(engine) as conn:
            conn.execute(text("INSERT INTO scratch (data) VALUES (x'01')"))
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    began = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"), writer_transaction(engine):
        pass
    assert 0.3 <= time.monotonic() - began < 5  # the flock's wait, not SQLite's 30 s
    release.set()
    holder.join(10)
    with writer_transaction(engine) as conn:  # free again
        conn.execute(text("INSERT INTO scratch (data) VALUES (x'02')"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 2
    engine.dispose()
    assert (tmp_path / f"audit.db{WRITER_FLOCK_SUFFIX}").exists()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_databases_take_no_flock(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = create_store_engine(url)
    with writer_transaction(engine) as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    assert list(tmp_path.iterdir()) == []
