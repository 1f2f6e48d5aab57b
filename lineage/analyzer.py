"""Refreshing PostgreSQL's planner statistics beside ingestion, not inside it.

The store refreshes statistics each time the log grows past a power of two
(lineage.db.statistics_due). ANALYZE samples 30,000 rows of each query table at random, so on a
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

from lineage.db import refresh_statistics

log = logging.getLogger(__name__)

CLOSE_WAIT_S = 60.0  # a refresh of a large cold store takes seconds; closing waits this long


class StatisticsRefresher:
    """Background `refresh_statistics` for one engine, started when asked."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False
        self._pid = 0
        self.runs = 0  # refreshes finished, for tests and benchmarks

    def request(self) -> None:
        """Refresh soon (after the one running, if any); never waits."""
        with self._lock:
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
            try:
                refresh_statistics(self.engine)
            except Exception as exc:  # any failure: the plans keep the statistics they had
                log.warning("planner statistics not refreshed (next growth point retries): %s", exc)
            with self._lock:
                self.runs += 1
                if not self._again:
                    self._thread = None  # under the lock: a request now starts a new thread
                    return
                self._again = False
