"""Copying a SQLite store's write-ahead log into the database beside ingestion, not inside it.

SQLite checkpoints in the COMMIT that takes the WAL past `wal_autocheckpoint` pages, so the
writer waits while pages are copied and the file synced. A batch of 1,000 events dirties some
thousands of pages (the log's key index and the run indexes take random keys, a page each), so
nearly every batch COMMIT checkpointed: at 100,000 events a third of an ingest's wall time
(docs/PERFORMANCE.md). Here a thread of the ingesting process runs PASSIVE checkpoints on its
own connection: they never block readers or the writer, and the sqlite3 module lets go of the
GIL while one runs, so the copying uses the second core while the writer prepares its next
batch. A checkpoint that finds the WAL fully copied lets the next writer restart it from the
beginning, which keeps the file small.

Writers keep a larger automatic checkpoint (lineage.db.SQLITE_WAL_BACKSTOP_BYTES) as a
backstop: a process without this thread, or one whose thread falls behind, still bounds the WAL.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

# Entries appended between checkpoints. The WAL's growth is what matters, but SQLite does not
# tell a Python writer how many pages it wrote; a few hundred entries are a few MB of pages.
NUDGE_ENTRIES = 256
IDLE_STOP_S = 60.0  # a thread with nothing to copy for this long ends; the next nudge restarts it


class WalCheckpointer:
    """Background PASSIVE checkpoints of one SQLite database file, started on first need."""

    def __init__(self, path: str, busy_timeout_s: float) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._pending = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.runs = 0  # checkpoints run, for tests and benchmarks

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def appended(self, entries: int) -> None:
        """Called after a COMMIT that appended `entries`: checkpoint once enough piled up."""
        self._pending += entries
        if self._pending < NUDGE_ENTRIES:
            return
        self._pending = 0
        self._ensure_running()
        self._wake.set()

    def close(self) -> None:
        """Stop the thread after the checkpoint it may be running (the WAL stays valid)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join()
        self._stop.clear()

    def _ensure_running(self) -> None:
        with self._lock:
            # After a fork the child has the object but not the thread.
            if self.running and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._loop, name="mlaudit-wal-checkpoint", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("WAL checkpoints left to the writers: %s", exc)
            return
        try:
            while self._next():
                self._checkpoint(conn)
        finally:
            conn.close()

    def _next(self) -> bool:
        """Wait for a nudge; False to end (closed, or idle: a later nudge starts a new thread)."""
        while not self._wake.wait(IDLE_STOP_S):
            with self._lock:  # a nudge racing this sees no thread and starts one
                if not self._wake.is_set():
                    self._thread = None
                    return False
        self._wake.clear()
        return not self._stop.is_set()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.runs += 1
        except sqlite3.Error as exc:  # busy or gone: the writers' own checkpoint remains
            log.debug("background WAL checkpoint skipped: %s", exc)
