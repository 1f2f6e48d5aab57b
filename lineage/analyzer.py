"""Refreshing PostgreSQL's planner statistics beside ingestion, not inside it.

The store refreshes statistics each time the log grows past a power of two
(`statistics_due`), and vacuums the lineage walks' edge table more often, sixteen times a
doubling (`visibility_due`). ANALYZE samples 30,000 rows of each query table at random, so on a
large store it reads tens of thousands of pages: 2.6 s warm and 10 s cold for the thirteen
tables at 1M events (docs/PERFORMANCE.md, seventh round). Run inside the append, that was a
stall of the writer at every growth point; through the API, every request queued behind the
group commit waited for it. Here a thread of the ingesting process runs it on its own pooled
connection. ANALYZE takes a lock that conflicts with no insert, so the writer goes on meanwhile;
queries planned before it ends use the previous statistics, as they did before the growth point.

At most one refresh runs at a time; a growth point reached during one makes one more follow.
A failed refresh is logged and left to the next growth point: statistics only guide plans.
"""

from __future__ import annotations

import logging
import os
import threading

from sqlalchemy import Engine

log = logging.getLogger(__name__)

CLOSE_WAIT_S = 60.0  # a refresh of a large cold store takes seconds; closing waits this long

# The tables the lineage queries join, and the tree that verify reads page by page: their
# plans depend on row counts (without statistics verify's node check sorted each page again).
STATISTICS_TABLES = (
    "audit_log", "runs", "jobs", "datasets", "dataset_versions", "run_inputs", "run_outputs",
    "data_access", "actors", "evaluations", "deployments", "version_edges", "merkle_nodes",
)  # fmt: skip
# Entries. Without statistics the planner guessed wrong already at a few hundred events: the
# one-event append's key lookup read the whole log (64 against 15 us of the server's time at
# 620 entries) and a model's versions were filtered one by one rather than found by the unique
# key (118 against 20 us, 600 versions of one model); ANALYZE of these tables then takes 15-35
# ms, beside the writer (docs/PERFORMANCE.md, eleventh round).
STATISTICS_FROM = 64
# Read by the lineage walks through index-only scans, which visit the table itself for every
# row on a page not yet marked all-visible: a page only VACUUM marks (impact of the largest
# source at 1M: 55 + 39 ms of the walk's two statements before it, 27 + 16 after).
VISIBILITY_TABLES = ("version_edges",)
VISIBILITY_FROM = 1024  # entries; below this the edges' pages are few
# Vacuumed at powers of two only, up to half the edges were unmarked after a doubling: at 1M
# events (last vacuumed at 524,288) impact's p95 over all sources was 118.7 ms, 76.8 after a
# VACUUM that took 48 ms (docs/PERFORMANCE.md, ninth round). Sixteen a doubling leave at most
# about a sixteenth of them unmarked; each reads only the pages added since the one before.
VISIBILITY_SPLIT_BITS = 4


def statistics_due(before: int, after: int) -> bool:
    """Whether the log grew past a power of two (from STATISTICS_FROM) between two sizes."""
    return _doubled(before, after, STATISTICS_FROM)


def visibility_due(before: int, after: int) -> bool:
    """Whether the log grew past a multiple of a sixteenth of its last power of two (from
    VISIBILITY_FROM): every 32,768 entries between 2**19 and 2**20."""
    if after < VISIBILITY_FROM:
        return False
    step = max(VISIBILITY_FROM, 1 << max(0, after.bit_length() - 1 - VISIBILITY_SPLIT_BITS))
    return _doubled(before, after, VISIBILITY_FROM) or before // step < after // step


def _doubled(before: int, after: int, start: int) -> bool:
    return after >= start and before.bit_length() < after.bit_length()


def refresh_statistics(engine: Engine, *, analyze: bool = True) -> None:
    """ANALYZE the query tables (unless `analyze` is false) and VACUUM the walks' edge table on
    PostgreSQL (SQLite plans these queries well without, and its indexes hold what they cover).

    Autovacuum does this where it runs, but it can be off (it is on the benchmark machine) or
    behind a bulk load: without statistics PostgreSQL took tables of 100,000 edges for empty
    and hash-joined them by sequential scan (300 ms a trace step instead of 0.1 ms). VACUUM
    reads only the pages changed since the last one and takes no lock that stops a writer.
    """
    if engine.dialect.name != "postgresql":
        return
    if analyze:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(STATISTICS_TABLES)}")
            conn.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM {', '.join(VISIBILITY_TABLES)}")  # not in a transaction


class StatisticsRefresher:
    """Background `refresh_statistics` for one engine, started when asked."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False
        self._pid = 0
        self._analyze = False  # whether the next refresh analyzes (a request asked for it)
        self.runs = 0  # refreshes finished, for tests and benchmarks

    def appended(self, before: int, after: int) -> None:
        """Called after a COMMIT took the log from `before` to `after` entries."""
        analyze = statistics_due(before, after)
        if analyze or visibility_due(before, after):
            self.request(analyze=analyze)

    def request(self, *, analyze: bool = True) -> None:
        """Refresh soon (after the one running, if any); never waits. `analyze`: the planner
        statistics too, not only the edges' visibility."""
        with self._lock:
            self._analyze = self._analyze or analyze
            # After a fork the child has the object but not the thread.
            if self._thread is not None and self._pid == os.getpid():
                self._again = True
                return
            self._pid = os.getpid()
            self._again = False
            self._thread = threading.Thread(target=self._loop, name="mlaudit-analyze", daemon=True)
            self._thread.start()

    def wait(self, timeout: float = CLOSE_WAIT_S) -> bool:
        """Wait for the refreshes asked for so far; False if one still runs after `timeout`."""
        with self._lock:
            thread = self._thread if self._pid == os.getpid() else None
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _loop(self) -> None:
        while True:
            with self._lock:
                analyze, self._analyze = self._analyze, False
            try:
                refresh_statistics(self.engine, analyze=analyze)
            except Exception as exc:  # any failure: the plans keep the statistics they had
                log.warning("planner statistics not refreshed (next growth point retries): %s", exc)
            with self._lock:
                self.runs += 1
                if not self._again:
                    self._thread = None  # under the lock: a request now starts a new thread
                    return
                self._again = False
