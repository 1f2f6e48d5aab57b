"""Pausing Python's cyclic garbage collector while a batch is ingested or a lineage question
answered.

An ingest allocates hundreds of thousands of short-lived containers (parsed events, rows,
lookups) that stay alive until the batch is written, so every generation-0 collection during
the batch traverses them all without freeing any: 10-15% of ingest CPU went to the collector
(docs/PERFORMANCE.md). A trace or an impact at a million events holds tens of thousands of
edges and versions the same way while it loads their rows. Neither creates reference cycles of
its own; whatever other threads leave behind is collected as soon as the last of them in the
process ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # ingests running in this process (threads), paused by the first
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector until the last concurrent caller leaves; the previous setting stays
    in force afterwards (a process that disabled it itself keeps it disabled)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
