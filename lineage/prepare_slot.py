"""The store's side of preparing large SQLite batches on the second core: the child process
(lineage.prepare_worker), one batch's job on it, and the slot that starts, lends and replaces it.

Whatever the child does not deliver (an event that does not pickle, a child that raised, died or
stalled) the store prepares itself: a failure is then raised, or an event rejected, exactly as
without a child.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lineage.prepare import RawEvent
from lineage.prepare_frames import (
    READY,
    UNREADABLE,
    UNSENDABLE,
    FrameReader,
    PeerGone,
    Result,
    write_frame,
)
from lineage.privacy.apply import Pseudonymizer

log = logging.getLogger(__name__)

START_S = 30.0  # not ready after this long: given up
PIPE_SIZES = (4 << 20, 1 << 20)  # a 1,000-event batch's results take about 2 MiB


class PreparingChild:
    """The child process and its pipes; one job at a time (`lock`)."""

    def __init__(self, privacy: Pseudonymizer) -> None:
        self.lock = threading.Lock()
        self._started = time.monotonic()
        self._ready = False
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "lineage.prepare_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,  # frames go straight to the pipes' descriptors
        )
        assert self._process.stdin and self._process.stdout
        self._stdin = self._process.stdin.fileno()
        _widen(self._process.stdout.fileno())
        self._reader = FrameReader(self._process.stdout.fileno())
        # A fresh pseudonymizer: the store's carries its cache of pseudonyms.
        self._send(Pseudonymizer(privacy.key, privacy.rules))

    @property
    def alive(self) -> bool:
        return self._process is not None

    def available(self) -> bool:
        """Started and warmed up; never waits (a batch meanwhile is prepared by the store)."""
        if self._ready or self._process is None:
            return self._ready
        try:
            if self._reader.ready():
                self._ready = self._reader.frame() == READY
            elif time.monotonic() - self._started > START_S:
                raise PeerGone(f"not ready after {START_S:.0f} s")
        except (PeerGone, *UNREADABLE) as exc:
            self.fail(exc)
        return self._ready

    def job(self, raw: Sequence[RawEvent], start: int, end: int) -> WorkerJob:
        """Have `raw[start:end]` prepared; their results come in order through the job."""
        try:
            self._send((start, list(raw[start:end])))
        except (OSError, *UNSENDABLE) as exc:
            # An event that does not pickle is the store's to prepare (and to reject).
            if isinstance(exc, OSError):
                self.fail(exc)
            return WorkerJob(self, start, end, sent=False)
        return WorkerJob(self, start, end, sent=True)

    def delivering(self) -> bool:
        """Whether the child's next results have begun to arrive (never waits)."""
        return self._process is not None and self._reader.ready()

    def receive(self) -> list[Result] | None:
        """The next results of the job; None: the child stopped the job at an event whose
        preparing raised (the store prepares it again and raises it itself)."""
        if self._process is None:
            raise PeerGone("the worker was stopped")
        try:
            results = self._reader.frame()
        except UNREADABLE as exc:
            raise PeerGone(str(exc)) from exc
        return results if isinstance(results, list) else None

    def fail(self, reason: BaseException) -> None:
        if self._process is not None:
            log.warning("the preparing worker is given up (%s); the store prepares alone", reason)
        self.close()

    def close(self) -> None:
        process, self._process, self._ready = self._process, None, False
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()  # the child exits at the end of its stdin
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _send(self, value: Any) -> None:
        if self._process is None:
            raise BrokenPipeError("the worker was stopped")
        write_frame(self._stdin, value)


def _widen(pipe: int) -> None:
    """Room in the pipe for a batch's results: the child prepares ahead while the store appends,
    rather than waiting for it to read (a 64 KiB pipe holds about 35 events' results)."""
    for size in PIPE_SIZES:
        try:
            fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, size)
            return
        except (AttributeError, OSError):  # not Linux, or above /proc/sys/fs/pipe-max-size
            continue


class WorkerJob:
    """The results of `raw[start:end]` as the worker sends them. `result` gives None for an
    index it will not deliver (the worker failed or the job was never sent): the caller
    prepares that one itself, and every one after it."""

    def __init__(self, worker: PreparingChild, start: int, end: int, *, sent: bool) -> None:
        self.start = start
        self._worker = worker
        self._results: list[Result] = []
        self._taken = 0  # results handed out of self._results
        self._next = start  # index of the next result to receive
        self._end = end if sent else start

    def result(self, index: int) -> Result | None:
        while self._taken == len(self._results) and self._next < self._end:
            self._receive()
        if self._taken == len(self._results) or index != self._results[self._taken].index:
            return None
        self._taken += 1
        return self._results[self._taken - 1]

    def delivered(self, index: int) -> bool:
        """Whether the result for `index` can be had without waiting for the child to prepare
        it: already received, or the next one and its frame on the way."""
        if self._taken < len(self._results):
            return self._results[self._taken].index == index
        return index == self._next < self._end and self._worker.delivering()

    def drain(self) -> None:
        """Receive the results already arriving, without waiting for more: a caller busy with
        other work keeps the pipe from filling, which would stop the worker."""
        while self._next < self._end and self._worker.delivering():
            self._receive()

    def finish(self) -> None:
        """Receive what is left, so the worker is ready for the next job."""
        while self._next < self._end:
            self._receive()
        self._results, self._taken = [], 0

    def _receive(self) -> None:
        try:
            results = self._worker.receive()
        except PeerGone as exc:
            self._worker.fail(exc)
            results = None
        if results is None:
            self._end = self._next
            return
        if self._taken == len(self._results):
            self._results, self._taken = results, 0
        else:
            self._results += results
        self._next += len(results)


class WorkerSlot:
    """A store's worker: started on its first large batch (which the store prepares alone
    meanwhile), lent to one batch at a time (a concurrent one prepares alone), started again
    after a failure at most `RESTARTS` times."""

    RESTARTS = 3

    def __init__(self, privacy: Callable[[], Pseudonymizer], *, enabled: bool = True) -> None:
        self._privacy = privacy
        self._worker: PreparingChild | None = None
        self._starts = 0
        self._lock = threading.Lock()  # around starting and closing
        # One core would run the child and the store in turns: nothing to gain.
        self.enabled = enabled and _cores() >= 2

    @contextmanager
    def job(
        self, raw: Sequence[RawEvent], start: int, end: int | None = None
    ) -> Iterator[WorkerJob | None]:
        """`raw[start:end]` being prepared by the worker; None: the caller prepares everything."""
        worker = self._usable()
        if worker is None or not worker.lock.acquire(blocking=False):
            yield None
            return
        try:
            if not worker.available():
                yield None
                return
            job = worker.job(raw, start, len(raw) if end is None else end)
            try:
                yield job
            finally:
                job.finish()
        finally:
            worker.lock.release()

    def start(self, wait: float = 0.0) -> bool:
        """Start the worker now rather than on the first large batch; with `wait`, wait up to
        that many seconds for it to be ready. Whether it is."""
        deadline = time.monotonic() + wait
        while True:
            worker = self._usable()
            if worker is not None and worker.available():
                return True
            if time.monotonic() >= deadline or not self.enabled:
                return False
            time.sleep(0.02)

    def close(self) -> None:
        with self._lock:
            self.enabled = False
            if self._worker is not None:
                self._worker.close()

    def _usable(self) -> PreparingChild | None:
        with self._lock:
            if self._worker is not None and self._worker.alive:
                return self._worker
            if self.enabled and self._starts <= self.RESTARTS:
                self._starts += 1
                self._worker = _started(self._privacy())
            return None


def _cores() -> int:
    """The cores this process may run on (all of the machine's where that cannot be asked)."""
    if hasattr(os, "sched_getaffinity"):  # not on macOS
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _started(privacy: Pseudonymizer) -> PreparingChild | None:
    try:
        return PreparingChild(privacy)
    except Exception as exc:  # an optimisation: its failure must not fail the ingest
        log.warning("no preparing worker (%s); the store prepares alone", exc)
        return None
