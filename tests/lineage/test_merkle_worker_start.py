"""Verify's worker, forked on PostgreSQL from a small process with one thread, else started afresh.

The forked child reports what it was given to do, and a failure by name; it is killed when told.
End to end, a single-threaded process verifying a PostgreSQL store in two halves forks its worker
and gets the one-pass report; on SQLite, or with a second thread, the worker is a fresh process.
"""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from scenario import ml_history

from lineage.merkle import worker_start
from lineage.merkle.heads import sign_head
from lineage.merkle.worker_start import ForkedWorker, can_fork
from lineage.store import AuditStore

ROOT = Path(__file__).resolve().parents[2]


def _echo(job: dict[str, Any]) -> dict[str, Any]:
    return {"got": job, "pid": os.getpid(), "digest": b"\x01\xff"}


def _fail(job: dict[str, Any]) -> dict[str, Any]:
    raise LookupError(f"no entry {job['first']}")


def _sleep(job: dict[str, Any]) -> dict[str, Any]:
    time.sleep(60)
    return {}


def test_a_forked_worker_returns_its_result_by_marshal() -> None:
    worker = ForkedWorker(_echo, {"first": 3})
    out, err = worker.communicate()
    assert worker.returncode == 0 and err == b""
    result = marshal.loads(out)
    assert result["got"] == {"first": 3} and result["digest"] == b"\x01\xff"  # bytes as bytes
    assert result["pid"] == worker.pid != os.getpid()


def test_a_spawned_sqlite_worker_imports_no_more_than_it_uses() -> None:
    """Its start bounds how small a log is verified on two cores: without `site` and without
    json, re, dataclasses, typing or pathlib it took half the time (lineage.merkle.parallel)."""
    heavy = ("json", "re", "dataclasses", "typing", "pathlib", "sqlalchemy")
    probe = (
        f"import sys, lineage.merkle.fastscan; print([m for m in {heavy!r} if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]"


def test_a_spawned_worker_checks_its_range_of_a_sqlite_store(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    """In a folder whose name holds the characters a URI gives a meaning, opened read-only."""
    store = AuditStore.open(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        store.ingest(ml_history(kit))
        last = store.count_entries()
    finally:
        store.close()
    folder = tmp_path / "odd ?#% name"  # not in a store URL, where "?" begins the query
    folder.mkdir()
    for file in tmp_path.glob("audit.db*"):
        file.rename(folder / file.name)
    job = {"sqlite": str(folder / "audit.db"), "first": 4, "last": last, "end_pos": 0}
    worker = worker_start.spawn(job)
    out, err = worker.communicate()
    assert worker.returncode == 0, err.decode()
    result = marshal.loads(out)
    assert result["start"]["first"] == 4 and len(result["start"]["roots"]) == 2  # 3 leaves: 2+1
    assert result["outcome"]["clean"] and result["outcome"]["entries"] == last - 3


def test_a_failing_forked_worker_says_what_failed() -> None:
    worker = ForkedWorker(_fail, {"first": 7})
    out, err = worker.communicate()
    assert (worker.returncode, out) == (1, b"")
    assert err.decode() == "LookupError: no entry 7"


def test_a_forked_worker_can_be_killed() -> None:
    worker = ForkedWorker(_sleep, {})
    worker.kill()
    assert worker.wait() == -9
    assert worker.communicate() == (b"", b"")  # ended: nothing more to read, nothing raised


def test_only_postgresql_workers_of_a_small_single_thread_are_forked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_start, "_threads", lambda: 1)
    monkeypatch.setattr(worker_start, "_resident", lambda: 100 * 2**20)
    assert can_fork({"postgres": "postgresql://x/y"})
    assert not can_fork({"sqlite": "/tmp/audit.db"})
    monkeypatch.setattr(worker_start, "_resident", lambda: worker_start.FORK_MAX_RESIDENT)
    assert not can_fork({"postgres": "postgresql://x/y"})
    monkeypatch.setattr(worker_start, "_resident", lambda: 100 * 2**20)
    monkeypatch.setattr(worker_start, "_threads", lambda: 2)
    assert not can_fork({"postgres": "postgresql://x/y"})


def test_resident_memory_is_read_as_the_system_sees_it() -> None:
    before = worker_start._resident()
    held = bytearray(b"\x01") * (64 * 2**20)  # every byte written, so every page resident
    try:
        assert worker_start._resident() >= before + 60 * 2**20
    finally:
        del held


def test_threads_are_counted_as_the_system_sees_them() -> None:
    before = worker_start._threads()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert worker_start._threads() == before + 1
    finally:
        stop.set()
        thread.join()


VERIFY_BOTH_WAYS = textwrap.dedent(
    """
    import json, sys
    from lineage.merkle import parallel, worker_start
    from lineage.store import AuditStore
    from lineage.verify import report_json, verify_log

    started = []
    class Counted(worker_start.ForkedWorker):
        def __init__(self, run, job):
            started.append(job["first"])
            super().__init__(run, job)
    parallel.ForkedWorker = Counted
    store = AuditStore.open(sys.argv[1])
    one = report_json(verify_log(store.engine, parallel_from=10**9))
    two = report_json(verify_log(store.engine, parallel_from=2))
    print(json.dumps({"same": one == two, "ok": two["ok"], "forked": started}))
    """
)


def test_a_single_threaded_verify_forks_its_worker_on_postgresql(store, kit, db_url: str) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    sign_head(store)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", VERIFY_BOTH_WAYS, db_url],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout)
    assert result["same"] and result["ok"]
    assert result["forked"] == (
        [] if db_url.startswith("sqlite") else [8]
    )  # 10 entries: the worker keeps a quarter


def test_the_command_line_runs_one_thread_with_numpy_loaded() -> None:
    """So `mlaudit verify` may fork: numpy's BLAS would otherwise start a pool of threads."""
    code = (
        "import os, lineage.cli.app, lineage.queries.reach\n"
        "print(len(os.listdir('/proc/self/task')))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "1"
