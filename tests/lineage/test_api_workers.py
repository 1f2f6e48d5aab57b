"""`mlaudit serve --workers 2`: real worker processes on real SQLite and PostgreSQL.

Several keep-alive connections post concurrently (the kernel spreads them over the workers,
which is checked), replaying each other's events too: every answer is a 200, each event is
stored once under one seq. Then SIGTERM while producers are sending: every worker drains and
stops, every acknowledged event is stored, and the hash chain and Merkle tree verify. Keys and
rules are read once by the parent; a worker that cannot start exits with the code that stops
the supervisor; bad --workers values are refused before anything starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_api_support import bearer, free_port, make_tokens, run_event
from typer.testing import CliRunner
from uvicorn.config import STARTUP_FAILURE

from lineage.api import server as server_module
from lineage.api.server import serve, worker_app
from lineage.api.settings import WORKER_DB_ENV
from lineage.cli.app import app as cli
from lineage.privacy.rules import PrivacyConfigError
from lineage.store import AuditStore
from lineage.verify import verify_log

WORKERS = 2
STARTUP_SECONDS = 60.0  # two spawned workers import the app; slow on a loaded machine


class Served:
    """A running `mlaudit serve --workers 2`: its base URL, process and stderr so far."""

    def __init__(self, process: subprocess.Popen[str], base: str) -> None:
        self.process, self.base = process, base
        self._lines: list[str] = []
        # stderr is read as it comes: the workers' startup lines say when both accept.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._lines.append(line)

    def log(self, *, finished: bool = False) -> str:
        if finished:
            self._reader.join(30)
        return "".join(self._lines)


@contextmanager
def serving(url: str) -> Iterator[Served]:
    """`mlaudit serve --workers 2` in a subprocess, once every worker has started."""
    port = free_port()
    command = [sys.executable, "-m", "lineage.cli", "serve", "--db", url]
    command += ["--port", str(port), "--workers", str(WORKERS)]
    # Its own process group: a failed test kills the workers too, not only their parent.
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    served = Served(server, f"http://127.0.0.1:{port}")
    try:
        _wait_until_up(served)
        yield served
    finally:
        if server.poll() is None:
            server.terminate()  # graceful: the parent stops its workers
            with suppress(subprocess.TimeoutExpired):
                server.wait(timeout=30)
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # whatever is left of the group
        server.wait(timeout=30)


def _wait_until_up(served: Served) -> None:
    """Until every worker has started, not only the first: the socket is bound by the parent,
    so the first worker up would otherwise accept every connection made meanwhile."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert served.process.poll() is None, f"mlaudit serve exited: {served.log(finished=True)}"
        if served.log().count("Application startup complete") >= WORKERS:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"{WORKERS} workers did not start within {STARTUP_SECONDS} s")
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{served.base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"mlaudit serve --workers did not answer within {STARTUP_SECONDS} s")


def _events(producer: int, count: int) -> list[dict[str, Any]]:
    return [
        run_event(f"p{producer}-{i}", job=f"job{producer}", output=f"d{i}") for i in range(count)
    ]


@pytest.mark.parametrize("url", ["sqlite_url", "pg_url"])
def test_two_workers_store_every_event_once_and_drain_on_sigterm(
    url: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(url)
    store = AuditStore.open(url)
    token = make_tokens(store)["producer"]
    before = store.count_entries()
    with serving(url) as served:
        server = served.process
        producers, each = _produce_concurrently(served.base, token, server.pid)
        assert store.count_entries() - before == producers * each
        acknowledged = _produce_through_sigterm(served.base, token, server)
        errors = served.log(finished=True)
    assert server.returncode == 0, errors
    assert errors.count("Application shutdown complete") == WORKERS, errors
    stored = {entry["key"] for entry in store.entries(after_seq=before)}
    assert acknowledged and set(acknowledged) <= stored  # every 200 was committed
    report = verify_log(store.engine, keys=store.keys)
    assert report.ok, (report.chain.problems[:3], report.tree.problems[:3])
    assert report.tree.size == store.count_entries()
    store.close()


def _produce_concurrently(base: str, token: str, parent: int) -> tuple[int, int]:
    """12 connections post 15 events each and 5 of another's (maybe stored by the other
    worker): every answer a 200, one seq per event. Returns (producers, events each)."""
    producers, each, replays = 12, 15, 5
    answers: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in range(producers)]
    # Every connection stays open until the workers' shares of them are counted.
    counted = threading.Barrier(producers + 1, timeout=120)

    def produce(number: int) -> None:
        theirs = _events((number + 1) % producers, each)[:replays]
        with httpx.Client(base_url=base, headers=bearer(token), timeout=60) as http:
            try:
                for event in [*_events(number, each), *theirs]:
                    response = http.post("/api/v1/lineage", json=event)
                    answers[number].append((response.status_code, response.json()))
            except BaseException:
                counted.abort()  # the count is off; the answers tell what went wrong
                raise
            counted.wait()

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(producers)]
    for thread in threads:
        thread.start()
    shares = _connections_per_worker(parent, int(base.rsplit(":", 1)[1]), counted)
    for thread in threads:
        thread.join()
    flat = [answer for part in answers for answer in part]
    assert len(flat) == producers * (each + replays)
    assert all(status == 200 for status, _ in flat), [a for a in flat if a[0] != 200][:3]
    seqs: dict[str, set[int]] = {}
    for _, body in flat:
        seqs.setdefault(body["key"], set()).add(body["seq"])
    assert len(seqs) == producers * each
    assert all(len(found) == 1 for found in seqs.values())  # a replay names the first seq
    if shares is not None:
        assert len(shares) == WORKERS and all(shares), shares  # both processes served
    return producers, each


def _produce_through_sigterm(base: str, token: str, server: subprocess.Popen[str]) -> list[str]:
    """Producers post until the server stops; SIGTERM goes while requests are in flight.
    Returns the keys of the events answered with a 200."""
    acknowledged: list[str] = []

    def produce(number: int) -> None:
        with httpx.Client(base_url=base, headers=bearer(token), timeout=60) as http:
            for event in _events(100 + number, 10_000):
                try:
                    response = http.post("/api/v1/lineage", json=event)
                except httpx.TransportError:
                    return  # closed by the server: unanswered, so the producer's to resend
                if response.status_code != 200:
                    return  # a 503 while shutting down: the same
                acknowledged.append(response.json()["key"])

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    for thread in threads:
        thread.join(60)
    return acknowledged


def _connections_per_worker(parent: int, port: int, counted: threading.Barrier) -> list[int] | None:
    """Once every producer waits at `counted`: how many of their connections each worker holds
    (Linux /proc; None elsewhere). Releases the producers in any case."""
    try:
        deadline = time.monotonic() + 120
        while counted.n_waiting < counted.parties - 1 and not counted.broken:
            assert time.monotonic() < deadline, "the producers did not finish"
            time.sleep(0.05)
        if counted.broken or not Path(f"/proc/{parent}/task").exists():
            return None
        open_here = _established(port)
        return [len(_socket_inodes(pid) & open_here) for pid in _children(parent)]
    finally:
        if not counted.broken:
            counted.wait()


def _children(pid: int) -> list[int]:
    """Direct children with an open socket of their own (the workers, not helper processes)."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return [child for child in found if _socket_inodes(child)]


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _established(port: int) -> set[str]:
    """Inodes of the server side of established TCP connections on `port` (IPv4)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
            inodes.add(fields[9])
    return inodes


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_stop_when_their_supervisor_is_killed(sqlite_url: str) -> None:
    store = AuditStore.open(sqlite_url)
    token = make_tokens(store)["producer"]
    with serving(sqlite_url) as served:
        base, server = served.base, served.process
        workers = _children(server.pid)
        assert len(workers) == WORKERS
        event = run_event("before-the-kill", job="job", output="d")
        answer = httpx.post(f"{base}/api/v1/lineage", json=event, headers=bearer(token))
        assert answer.status_code == 200
        server.kill()  # SIGKILL: the supervisor forwards nothing
        server.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, "workers outlived their supervisor"
            time.sleep(0.1)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base}/api/v1/health", timeout=2)
    report = verify_log(store.engine, keys=store.keys)
    assert report.ok and store.count_entries() >= 1
    store.close()


def test_keys_and_rules_are_read_once_before_the_workers_start(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def spawn(*_: object) -> None:
        raise AssertionError("workers were started")

    monkeypatch.setattr(server_module, "_serve_workers", spawn)
    monkeypatch.setenv("MLAUDIT_PRIVACY_RULES", str(tmp_path / "missing.toml"))
    with pytest.raises(PrivacyConfigError, match=r"missing\.toml: cannot read"):
        serve(sqlite_url, port=free_port(), workers=WORKERS)


def test_a_worker_without_its_settings_exits_as_a_startup_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvicorn's supervisor stops on this code; any other would have it respawn the worker."""
    monkeypatch.delenv(WORKER_DB_ENV, raising=False)
    with pytest.raises(SystemExit) as stopped:
        worker_app()
    assert stopped.value.code == STARTUP_FAILURE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "Invalid value for '--workers'"),
        (["--workers", "65"], "Invalid value for '--workers'"),
        (["--workers", "two"], "Invalid value for '--workers'"),
        (["--workers", "2", "--db", "sqlite://"], "in-memory SQLite"),
        (["--workers", "2", "--db", "sqlite:///:memory:"], "in-memory SQLite"),
    ],
)
def test_a_bad_workers_value_is_refused_before_anything_starts(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLAUDIT_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port()), *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.replace("│", " ").split())
    assert not (tmp_path / "audit.db").exists()  # nothing was opened


def test_serve_refuses_workers_for_a_private_database() -> None:
    with pytest.raises(ValueError, match="in-memory SQLite"):
        serve("sqlite://", workers=2)
