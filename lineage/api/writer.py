"""Group commit: ingest requests that arrive while a transaction runs share the next one.

Producers mostly POST one event at a time; a transaction per request would spend most of its
time on the writer lock, the head read and the commit. One writer thread takes every request
queued since its last transaction and ingests them together (per submitter, since the submitter
is part of each entry), then hands each request its own part of the result. A lone request waits
for nobody: batching only happens when requests are already queued.

A failure fails every request of that transaction (nothing of it was committed) and each client
retries: the 503 path. A value the database refuses (`DataError`) is one event's fault, so the
transaction is replayed request by request, then event by event, to reject only that event.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from queue import SimpleQueue
from typing import Any

from sqlalchemy.exc import DataError

from lineage.api.errors import database_refusal
from lineage.ingest_result import IngestResult, Rejected
from lineage.store import AuditStore
from lineage.validation import Violation

log = logging.getLogger(__name__)

DEFAULT_MAX_EVENTS = 1000  # per transaction, when joining requests (a larger batch goes alone)


@dataclass
class _Job:
    events: list[dict[str, Any]]
    submitter: str | None
    future: Future[IngestResult] = field(default_factory=Future)


class BatchingWriter:
    def __init__(self, store: AuditStore, *, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        self.store = store
        self.max_events = max_events
        self._queue: SimpleQueue[_Job | None] = SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, events: list[dict[str, Any]], submitter: str | None) -> Future[IngestResult]:
        """Queue events for the next transaction; the future holds this request's result."""
        job = _Job(events, submitter)
        self._start()
        self._queue.put(job)
        return job.future

    def close(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="mlaudit-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, stop = self._drain(first)
            # A request cancelled while queued (its client went away) is dropped, not written:
            # the client had no answer and will resend. Running futures cannot be cancelled.
            live = [job for job in jobs if job.future.set_running_or_notify_cancel()]
            for group in _by_submitter(live):
                self._write(group)
            if stop:
                return

    def _drain(self, first: _Job) -> tuple[list[_Job], bool]:
        """`first` and whatever else is already queued, up to max_events in all."""
        jobs, count = [first], len(first.events)
        while count < self.max_events and not self._queue.empty():
            job = self._queue.get()
            if job is None:
                return jobs, True
            jobs.append(job)
            count += len(job.events)
        return jobs, False

    def _write(self, group: list[_Job]) -> None:
        events = [event for job in group for event in job.events]
        try:
            result = self.store.ingest(events, strict=False, submitter=group[0].submitter)
        except DataError as exc:
            self._isolate(group, exc)
            return
        except Exception as exc:  # every request of the transaction learns why; none is lost
            for job in group:
                job.future.set_exception(exc)
            return
        for job, part in zip(group, _split(result, [len(j.events) for j in group]), strict=True):
            job.future.set_result(part)

    def _isolate(self, group: list[_Job], exc: DataError) -> None:
        if len(group) > 1:
            for job in group:
                self._write([job])
            return
        job = group[0]
        if len(job.events) == 1:
            job.future.set_result(IngestResult(rejected=[_refused(0, exc)]))
            return
        job.future.set_result(self._one_by_one(job))

    def _one_by_one(self, job: _Job) -> IngestResult:
        total = IngestResult()
        for index, event in enumerate(job.events):
            try:
                result = self.store.ingest([event], strict=False, submitter=job.submitter)
            except DataError as exc:
                total.rejected.append(_refused(index, exc))
                continue
            total.accepted += [replace(a, index=index) for a in result.accepted]
            total.rejected += [replace(r, index=index) for r in result.rejected]
        return total


def _refused(index: int, exc: DataError) -> Rejected:
    log.info("event refused by the database: %s", database_refusal(exc))
    return Rejected(index, [Violation("$", database_refusal(exc))])


def _by_submitter(jobs: list[_Job]) -> list[list[_Job]]:
    groups: dict[str | None, list[_Job]] = {}
    for job in jobs:
        groups.setdefault(job.submitter, []).append(job)
    return list(groups.values())


def _split(result: IngestResult, sizes: list[int]) -> list[IngestResult]:
    """Each request's part of a joint result, with indexes back in that request's numbering."""
    parts: list[IngestResult] = []
    start = 0
    for size in sizes:
        end = start + size
        parts.append(
            IngestResult(
                accepted=[
                    replace(a, index=a.index - start)
                    for a in result.accepted
                    if start <= a.index < end
                ],
                rejected=[
                    replace(r, index=r.index - start)
                    for r in result.rejected
                    if start <= r.index < end
                ],
            )
        )
        start = end
    return parts
