"""The database goes away mid-stream: producers get 503 + Retry-After and lose nothing.

A throwaway PostgreSQL server of our own (the shared one must not be stopped) backs the real
server; a producer posts events in a loop, retrying on 503; the database is stopped and started
again mid-way. Afterwards every event the producer got a 200 for is stored exactly once, every
event is stored, and the chain and tree verify. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from test_api_support import bearer, free_port, make_tokens, run_event

from lineage.api.server import running
from lineage.models import LogEntry
from lineage.store import AuditStore
from lineage.verify import verify_log

EVENTS = 120
STOP_AFTER = 40  # acknowledged events before the database goes away
RETRY_PAUSE = 0.1  # seconds; shorter than Retry-After to keep the test quick
PER_EVENT_DEADLINE = 90.0


class ThrowawayPostgres:
    """initdb + pg_ctl as the postgres user, in a temporary folder it owns, on a free port."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="mlaudit-pg-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=90
        )

    def init(self) -> None:
        initdb = str(self.bin / "initdb")
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        log = str(self.root / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def throwaway_pg() -> Iterator[ThrowawayPostgres]:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if os.geteuid() != 0 or not found or not shutil.which("runuser"):
        pytest.skip("needs root, runuser and a local PostgreSQL installation")
    server = ThrowawayPostgres(found[-1].parent)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


class Producer(threading.Thread):
    """Posts each event until it gets a 200, retrying 503s and dropped connections."""

    def __init__(self, base: str, token: str, events: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.events = base, token, events
        self.acked: dict[int, dict[str, Any]] = {}
        self.seen: Counter[str] = Counter()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base, headers=bearer(self.token), timeout=15) as http:
                for index, event in enumerate(self.events):
                    self.acked[index] = self._deliver(http, event)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def _deliver(self, http: httpx.Client, event: dict[str, Any]) -> dict[str, Any]:
        deadline = time.monotonic() + PER_EVENT_DEADLINE
        while time.monotonic() < deadline:
            try:
                response = http.post("/api/v1/lineage", json=event)
            except httpx.TransportError:
                self.seen["transport error"] += 1
                time.sleep(RETRY_PAUSE)
                continue
            self.seen[str(response.status_code)] += 1
            if response.status_code == 200:
                return dict(response.json())
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) > 0
            time.sleep(RETRY_PAUSE)
        raise AssertionError(f"not stored within {PER_EVENT_DEADLINE} s")


def _wait(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.slow
def test_an_outage_is_a_503_and_no_event_is_lost(throwaway_pg: ThrowawayPostgres) -> None:
    store = AuditStore.open(throwaway_pg.url)
    token = make_tokens(store)["producer"]
    events = [
        run_event(f"outage-{i}", job=f"job{i % 4}", output=f"d{i % 7}") for i in range(EVENTS)
    ]
    with running(store) as base:
        producer = Producer(base, token, events)
        producer.start()
        _wait(lambda: len(producer.acked) >= STOP_AFTER or producer.error, 60, "first events")
        throwaway_pg.stop()
        _wait(lambda: producer.seen["503"] >= 5 or producer.error, 30, "503 answers")
        health = httpx.get(f"{base}/api/v1/health", timeout=10)
        assert health.status_code == 503 and health.headers["retry-after"]
        throwaway_pg.start()
        producer.join(timeout=EVENTS * 2)
        assert not producer.is_alive(), "the producer did not finish"
    assert producer.error is None, producer.error
    assert producer.seen["503"] >= 5, producer.seen
    assert len(producer.acked) == EVENTS  # every event eventually stored
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(LogEntry.key, func.count(), func.min(LogEntry.seq)).group_by(LogEntry.key)
        ).all()
    stored = {key: (count, seq) for key, count, seq in rows}
    for answer in producer.acked.values():  # acknowledged means stored, once, where it said
        assert stored[answer["key"]] == (1, answer["seq"])
    report = verify_log(store.engine, keys=store.keys)
    assert report.ok, (report.chain.problems[:3], report.tree.problems[:3])
    store.close()
