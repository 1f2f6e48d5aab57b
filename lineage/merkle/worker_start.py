"""Starting the worker process of a two-core verify (lineage.merkle.parallel).

A fresh interpreter (`python -m lineage.merkle.fastscan`, the job on stdin) is always safe, and
costs its start: about 32 ms on SQLite, where it runs without `site` (60 ms with it and the fast
pass's former imports, the same hour), about 140 ms on PostgreSQL, 84-91 of them importing
psycopg.
On PostgreSQL the worker is forked instead when this process runs a single thread on Linux: the
child has every module already and only opens its own connections. What makes that safe:

- a single thread, so no lock can be held at the fork by a thread the child does not have;
- the child never touches the connections it inherits: `run_job` opens its own, the objects it
  inherits are frozen out of its garbage collector (no finalizer of this process's runs there),
  and it leaves by `os._exit`, which closes nothing gracefully, flushes no buffer of this
  process's and runs no exit handler;
- not on SQLite, whose library keeps per-process state about the files it has open (their
  locks among it) that a child would inherit; SQLite forbids using a connection across fork.

And only while this process is small: a fork copies its page tables, and every page either
process writes afterwards is copied once. Verifying 100,000 entries on PostgreSQL from a process
holding a heap of a given resident size, five alternations, medians spawned against forked: 103
MB, 193,907 against 222,780 entries/s; 501 MB, 186,417 against 200,249; 1,096 MB, 183,808
against 184,890; 1,604 MB, 192,265 against 179,120.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from lineage.pipes import read_all, write_all

ERROR_BYTES = 4096  # a failing child's reason, cut short: the pipe must never fill and block it
FORK_MAX_RESIDENT = 512 * 1024 * 1024  # bytes; a larger process starts a fresh interpreter


Job = Callable[[dict[str, Any]], dict[str, Any]]


class Worker(Protocol):
    returncode: int | None

    def communicate(self) -> tuple[bytes, bytes]: ...
    def kill(self) -> None: ...
    def wait(self) -> int: ...


def can_fork(target: dict[str, str]) -> bool:
    """Whether the worker for `target` may be forked from this process now."""
    if "postgres" not in target or sys.platform != "linux":
        return False
    return _threads() == 1 and _resident() < FORK_MAX_RESIDENT


def _threads() -> int:
    """Threads of this process, those Python did not start included."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0  # unknown: not one


def _resident() -> int:
    """This process's resident memory in bytes (unknown: too large to fork)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return FORK_MAX_RESIDENT
    return pages * os.sysconf("SC_PAGE_SIZE")


def spawn(job: dict[str, Any]) -> subprocess.Popen[bytes]:
    """The worker in a fresh interpreter; the job goes on stdin (the URL may hold a password)."""
    root = str(Path(__file__).resolve().parents[2])  # so the worker imports this very code
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    # On SQLite the worker needs nothing but the standard library and this code (on PYTHONPATH),
    # so it skips `site`, whose installed packages' hooks took a third of its start.
    no_site = ["-S"] if "sqlite" in job else []
    worker = subprocess.Popen(
        [sys.executable, *no_site, "-m", "lineage.merkle.fastscan"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert worker.stdin is not None
    worker.stdin.write(marshal.dumps(job))
    worker.stdin.close()
    worker.stdin = None  # sent in full; communicate() later only collects the answer
    return worker


class ForkedWorker:
    """A forked child running `run(job)`: its result (by `marshal`) on one pipe, a failure on
    another."""

    def __init__(self, run: Job, job: dict[str, Any]) -> None:
        self.returncode: int | None = None
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(out_r)
            os.close(err_r)
            _child(run, job, out_w, err_w)
        os.close(out_w)
        os.close(err_w)
        self.pid, self._pipes = pid, [out_r, err_r]

    def communicate(self) -> tuple[bytes, bytes]:
        """The child's output and error text, once it has ended."""
        out, err = (read_all(fd) for fd in self._pipes) if self._pipes else (b"", b"")
        self.wait()
        return out, err

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
            for fd in self._pipes:
                os.close(fd)
            self._pipes = []
        return self.returncode


def _child(run: Job, job: dict[str, Any], out: int, err: int) -> None:
    code = 1
    try:
        gc.freeze()  # what this process inherited is never collected, so never finalized, here
        write_all(out, marshal.dumps(run(job)))
        code = 0
    except BaseException as exc:  # the parent is told, whatever it was
        reason = f"{type(exc).__name__}: {exc}".encode(errors="replace")[:ERROR_BYTES]
        with contextlib.suppress(OSError):
            write_all(err, reason)
    finally:
        os._exit(code)
