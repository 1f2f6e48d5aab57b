"""Preparing the later part of a large SQLite batch on the second core, in a child process.

On SQLite an append is Python from end to end, so the store's process cannot prepare while it
writes, as it does in a PostgreSQL batch's waits on the server (lineage.preparation). Here a
child (`python -m lineage.prepare_worker`, started on the store's first large batch) prepares
the batch from a point on and sends the results back a chunk at a time, while the store
prepares the head itself and then appends chunk after chunk as they arrive.

Preparing is a pure function of the event and the pseudonymizer (the key and the rules, sent
once, as the first frame), so the child's results are the ones the store would have made; they
travel as pickles, which keep every value's type. Whatever the child does not deliver (it
failed, died or stalled) the store prepares itself: a failure is then raised, or an event
rejected, exactly as without a child. The child's stdout carries only frames; it exits at the
end of its stdin.
"""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import io
import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson

from lineage.ingest_result import Rejected
from lineage.prepare import PreparedEvent, RawEvent, prepare_one
from lineage.privacy.apply import Pseudonymizer

log = logging.getLogger(__name__)

Result = PreparedEvent | Rejected
HEADER = struct.Struct(">Q")
READY = "ready"
CHUNK = 50  # results a frame: small, so the store's first wait is short
STALL_S = 60.0  # no frame for this long: the child is given up and the store prepares the rest
START_S = 30.0  # not ready after this long: given up
FIELDS = tuple(f.name for f in dataclasses.fields(PreparedEvent))
ROWS, PICKLE = b"j", b"p"  # a frame's first byte: how the rest is encoded
PIPE_SIZES = (4 << 20, 1 << 20)  # a 1,000-event batch's results take about 2 MiB


class WorkerGone(Exception):
    """The child stopped answering; the store prepares what it has not delivered."""


def _pickled(value: Any) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    # No memo: a parsed event's strings are all distinct objects, and remembering each made
    # pickling a batch of them five times slower (8.3 -> 1.8 us an event).
    pickler.fast = True
    pickler.dump(value)
    return out.getvalue()


def _write_frame(fd: int, value: Any) -> None:
    data = _encoded(value)  # first: a value that does not encode sends nothing
    _write_all(fd, HEADER.pack(len(data)))
    _write_all(fd, data)


def _encoded(value: Any) -> bytes:
    """Prepared events as JSON rows (loaded in 4 us an event against 9 for their pickles, and
    exact: a prepared event holds only what its RFC 8785 text can, safe integers and finite
    floats, and orjson keeps 1.0 a float); anything else pickled."""
    if isinstance(value, list) and value and all(type(r) is PreparedEvent for r in value):
        try:
            return ROWS + orjson.dumps([[getattr(r, f) for f in FIELDS] for r in value])
        except orjson.JSONEncodeError:
            pass
    return PICKLE + _pickled(value)


def _decoded(data: bytearray) -> Any:
    if data[:1] == ROWS:
        return [PreparedEvent(*row) for row in orjson.loads(memoryview(data)[1:])]
    return pickle.loads(memoryview(data)[1:])


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Reader:
    """Frames from a pipe, each within `stall` seconds of the last (None: however long)."""

    def __init__(self, fd: int, stall: float | None = STALL_S) -> None:
        self._fd = fd
        self._stall = stall

    def ready(self) -> bool:
        """Whether a frame has begun to arrive (never waits)."""
        return bool(select.select([self._fd], [], [], 0)[0])

    def frame(self) -> Any:
        size = HEADER.unpack(self._exactly(HEADER.size))[0]
        return _decoded(self._exactly(size))

    def _exactly(self, size: int) -> bytearray:
        """Read straight into place, never past the frame: nothing is left over to keep."""
        data = bytearray(size)
        view = memoryview(data)
        while view:
            if not select.select([self._fd], [], [], self._stall)[0]:
                raise WorkerGone(f"no answer for {self._stall:.0f} s")
            got = os.readv(self._fd, [view])
            if not got:
                raise WorkerGone("the worker exited")
            view = view[got:]
        return data


class PrepareWorker:
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
        self._reader = _Reader(self._process.stdout.fileno())
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
                raise WorkerGone(f"not ready after {START_S:.0f} s")
        except (WorkerGone, OSError, pickle.UnpicklingError) as exc:
            self.fail(exc)
        return self._ready

    def job(self, raw: Sequence[RawEvent], start: int) -> WorkerJob:
        """Have `raw[start:]` prepared; their results come in order through the job."""
        try:
            self._send((start, list(raw[start:])))
        except (OSError, pickle.PicklingError, TypeError, AttributeError, ValueError) as exc:
            # An event that does not pickle is the store's to prepare (and to reject).
            if isinstance(exc, OSError):
                self.fail(exc)
            return WorkerJob(self, start, len(raw), sent=False)
        return WorkerJob(self, start, len(raw), sent=True)

    def receive(self) -> list[Result] | None:
        """The next results of the job; None: the child stopped the job at an event whose
        preparing raised (the store prepares it again and raises it itself)."""
        if self._process is None:
            raise WorkerGone("the worker was stopped")
        try:
            results = self._reader.frame()
        except (OSError, pickle.UnpicklingError, EOFError, orjson.JSONDecodeError) as exc:
            raise WorkerGone(str(exc)) from exc
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
        _write_frame(self._stdin, value)


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

    def __init__(self, worker: PrepareWorker, start: int, end: int, *, sent: bool) -> None:
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

    def finish(self) -> None:
        """Receive what is left, so the worker is ready for the next job."""
        while self._next < self._end:
            self._receive()
        self._results, self._taken = [], 0

    def _receive(self) -> None:
        try:
            results = self._worker.receive()
        except WorkerGone as exc:
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
        self._worker: PrepareWorker | None = None
        self._starts = 0
        self._lock = threading.Lock()  # around starting and closing
        # One core would run the child and the store in turns: nothing to gain.
        self.enabled = enabled and len(os.sched_getaffinity(0)) >= 2

    @contextmanager
    def job(self, raw: Sequence[RawEvent], start: int) -> Iterator[WorkerJob | None]:
        """`raw[start:]` being prepared by the worker; None: the caller prepares everything."""
        worker = self._usable()
        if worker is None or not worker.lock.acquire(blocking=False):
            yield None
            return
        try:
            if not worker.available():
                yield None
                return
            job = worker.job(raw, start)
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

    def _usable(self) -> PrepareWorker | None:
        with self._lock:
            if self._worker is not None and self._worker.alive:
                return self._worker
            if self.enabled and self._starts <= self.RESTARTS:
                self._starts += 1
                self._worker = _started(self._privacy())
            return None


def _started(privacy: Pseudonymizer) -> PrepareWorker | None:
    try:
        return PrepareWorker(privacy)
    except Exception as exc:  # an optimisation: its failure must not fail the ingest
        log.warning("no preparing worker (%s); the store prepares alone", exc)
        return None


def _serve(stdin: int, stdout: int) -> None:
    reader = _Reader(stdin, stall=None)  # the store may stay idle for hours
    try:
        privacy: Pseudonymizer = reader.frame()
    except WorkerGone:  # the store closed before sending anything
        return
    _write_frame(stdout, READY)
    gc.freeze()  # the modules and the checks stay; jobs make garbage without cycles
    while True:
        try:
            start, raw = reader.frame()
        except WorkerGone:
            return
        gc.disable()
        try:
            _prepare(start, raw, privacy, stdout)
        finally:
            gc.enable()


def _prepare(start: int, raw: list[RawEvent], privacy: Pseudonymizer, stdout: int) -> None:
    results: list[Result] = []
    for offset, item in enumerate(raw):
        try:
            results.append(prepare_one(start + offset, item, privacy=privacy))
        except Exception as exc:  # the store prepares it again, and raises it itself
            _write_frame(stdout, f"{type(exc).__name__}: {exc}")
            return
        if len(results) == CHUNK or offset == len(raw) - 1:
            _write_frame(stdout, results)
            results = []


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a ^C is the store's to handle; EOF ends this
    frames = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing printed may corrupt the frames
    _serve(sys.stdin.fileno(), frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
