"""A bulk import's events, every one prepared before any is written, on two cores where the
store has its worker (lineage.prepare_slot).

`AuditStore.ingest_many` (`mlaudit ingest FILE`) refuses a whole import for one invalid event,
so it prepares everything first and nothing of its own overlaps that: on one core, preparing
was half of an import's time. Here the events go in windows; in each, the store prepares the
front part while the worker prepares the rest, whose results the store then takes in order,
having drained them from the pipe as they came (a full pipe would stop the worker). While the
worker starts (a few hundred milliseconds, on the first large import of the process) the store
prepares alone, a small window at a time. The outcome is `prepare_batch`'s: the same events,
the same rejections, in the same order; whatever the worker does not deliver, the store
prepares itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from lineage.ingest_result import Rejected
from lineage.prepare import PreparedEvent, RawEvent, prepare_batch, prepare_one
from lineage.prepare_slot import WorkerJob, WorkerSlot
from lineage.privacy.apply import Pseudonymizer

HELPED_FROM = 2_000  # fewer events: prepared alone, the worker not even started for them
WINDOW = 10_000  # events a window once the worker is ready (its part: one frame of about 7 MB)
STARTING_WINDOW = 500  # events prepared alone between two looks at a starting worker
WORKER_SHARE = 0.5  # of a window
DRAIN_EVERY = 25  # events the store prepares between two drains of the worker's pipe

Prepared = tuple[list[PreparedEvent], list[Rejected]]


def prepare_all(raw: Sequence[RawEvent], privacy: Pseudonymizer, slot: WorkerSlot) -> Prepared:
    """Every event of `raw` prepared, as `prepare_batch(raw)` would: with the worker's help from
    HELPED_FROM events."""
    if len(raw) < HELPED_FROM or not slot.enabled:
        return prepare_batch(list(raw), privacy=privacy)
    prepared: list[PreparedEvent] = []
    rejected: list[Rejected] = []
    start = 0
    while start < len(raw):
        end = min(start + WINDOW, len(raw))
        split = end - int((end - start) * WORKER_SHARE)
        with slot.job(raw, split, end) as job:
            if job is None:  # not ready yet (the first look starts it): a small window alone
                end = split = min(start + STARTING_WINDOW, len(raw))
            results = _window(raw, start, split, end, privacy, job)
        for result in results:
            (rejected if isinstance(result, Rejected) else prepared).append(result)
        start = end
    return prepared, rejected


def _window(
    raw: Sequence[RawEvent],
    start: int,
    split: int,
    end: int,
    privacy: Pseudonymizer,
    job: WorkerJob | None,
) -> list[PreparedEvent | Rejected]:
    """raw[start:split] prepared here while `job` prepares raw[split:end]; then its results
    (or, for any it does not deliver, this process's own)."""
    results: list[PreparedEvent | Rejected] = []
    for index in range(start, split):
        results.append(prepare_one(index, raw[index], privacy=privacy))
        if job is not None and index % DRAIN_EVERY == 0:
            job.drain()
    for index in range(split, end):
        result = job.result(index) if job is not None else None
        if result is None:
            result = prepare_one(index, raw[index], privacy=privacy)
        results.append(result)
    return results
