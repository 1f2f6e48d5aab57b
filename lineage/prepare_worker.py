"""A second process that prepares part of a large batch, so preparing uses both cores.

Preparing an event (normalise, validate, pseudonymize, canonicalise) is pure and per event, and
costs about as much CPU as appending and projecting it. `lineage.prepare.prepare_batch` hands the
second half of a large batch to this worker and prepares the first half itself meanwhile; the
results are the same objects `prepare_one` makes, in the same order (indices are the batch's).

Why a child started with `python -m lineage.prepare_worker` and pipes, not multiprocessing: spawn
and forkserver re-import the caller's `__main__` (a Dagster code location, a Streamlit page) in
the child, and fork copies whatever threads and locks the caller holds. The child imports only
`lineage.prepare`. The pseudonym key reaches it through the pipe, in memory, never a file.

The worker is an optimisation only. Whenever it is not ready (still starting), busy (another
thread uses it), gone, or cannot take the input (an event that does not pickle), or it fails
preparing (the in-process run raises the same error with its own traceback), the caller
prepares that part in-process, so results and errors never depend on it.
Off unless MLAUDIT_PREPARE_WORKER=1: on the shared 2-core benchmark machine (load 7 to 9) the
ingesting process used ~15% less CPU with it, but events/s did not rise (425-479 with it,
471-581 without; the other core was busy), so it is a switch to measure on a quieter host.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pickle
import select
import subprocess
import sys
import threading
from typing import IO, Any

ENABLED_VARIABLE = "MLAUDIT_PREPARE_WORKER"
READY = b"R"
_PROTOCOL = pickle.HIGHEST_PROTOCOL


class Pending:
    """A part sent to the worker; `result()` is its (prepared, rejected) or None."""

    def __init__(self, worker: Worker, process: subprocess.Popen[bytes], ticket: int) -> None:
        self._worker = worker
        self._process = process
        self._ticket = ticket

    def result(self) -> Any:
        try:
            assert self._process.stdout is not None
            ticket, status, value = pickle.load(self._process.stdout)
            if ticket != self._ticket:  # out of step: never take another request's answer
                raise ValueError(f"reply {ticket} to request {self._ticket}")
            return value if status == "ok" else None
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):
            self._worker.discard()
            return None
        finally:
            self._worker.lock.release()


class Worker:
    """The client side: at most one child per process, started on first use."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._failed = False
        self._tickets = itertools.count()

    def submit(self, start: int, items: list[Any], privacy: Any) -> Pending | None:
        """Send `items` (indices from `start`) to the worker; None: prepare them in-process."""
        if self._failed or not self.lock.acquire(blocking=False):
            return None
        process = self._ready_process()
        if process is None:
            self.lock.release()
            return None
        try:
            # Pickled whole first, so an event that does not pickle leaves the pipe clean.
            ticket = next(self._tickets)
            request = pickle.dumps((ticket, start, items, privacy.key, privacy.rules), _PROTOCOL)
        except Exception:  # any pickling failure means: not for the worker
            self.lock.release()
            return None
        try:
            assert process.stdin is not None
            process.stdin.write(request)
            process.stdin.flush()
        except OSError:
            self.discard()
            self.lock.release()
            return None
        return Pending(self, process, ticket)

    def discard(self) -> None:
        """Forget a broken child (killed: it may be stuck writing); the next one starts anew."""
        process, self._process, self._ready = self._process, None, False
        if process is not None:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Let the child finish and exit (end of its input), or kill it after two seconds."""
        process, self._process, self._ready = self._process, None, False
        if process is not None:
            _stop(process)

    def _ready_process(self) -> subprocess.Popen[bytes] | None:
        if self._process is None:
            try:
                self._process = _start()
            except OSError:
                self._failed = True
                return None
        if not self._ready:
            # Still importing: the caller prepares this batch itself rather than wait.
            self._ready = _sent_ready(self._process)
        return self._process if self._ready else None


def _start() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "lineage.prepare_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, ENABLED_VARIABLE: "0"},
    )


def _sent_ready(process: subprocess.Popen[bytes]) -> bool:
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], 0)
    if not readable:
        return False
    return process.stdout.read(1) == READY


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()


def enabled() -> bool:
    return os.environ.get(ENABLED_VARIABLE) == "1" and (os.cpu_count() or 1) > 1


_worker = Worker()


def worker() -> Worker:
    return _worker


def _after_fork_in_child() -> None:
    # The parent's child and pipes are the parent's: a forked process starts its own.
    global _worker
    _worker = Worker()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(lambda: _worker.close())


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """The child's loop: one reply per request, until the parent closes the pipe."""
    from lineage.prepare import prepare_part
    from lineage.privacy.apply import Pseudonymizer

    replies.write(READY)
    replies.flush()
    privacy: Pseudonymizer | None = None
    while True:
        try:
            ticket, start, items, key, rules = pickle.load(requests)
        except EOFError:
            return
        if privacy is None or privacy.key != key or privacy.rules != rules:
            privacy = Pseudonymizer(key, rules)  # kept while they stay: its pseudonym cache
        try:
            result = prepare_part(start, items, privacy=privacy)
            reply = pickle.dumps((ticket, "ok", result), _PROTOCOL)
        except Exception as exc:  # the parent re-runs the part and raises it
            reply = pickle.dumps((ticket, "error", type(exc).__name__), _PROTOCOL)
        replies.write(reply)
        replies.flush()


if __name__ == "__main__":
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the replies
    serve(sys.stdin.buffer, replies)
