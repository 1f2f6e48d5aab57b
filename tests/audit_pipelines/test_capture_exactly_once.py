"""Exactly once: a capture killed mid-batch loses nothing and duplicates nothing when replayed.

Counts compare the store with the Dagster event log: every Dagster record maps to one event here
(run starts and ends, materializations), so `store entries == log records` with no record twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest_capture import (  # noqa: F401 - fixtures are used by name
    audit_store_fixture,
    burst_job,
    capture_home_fixture,
    instance_fixture,
    log_record_count,
    origins,
    store_url_fixture,
)
from dagster import DagsterInstance, Definitions, SensorResult, build_sensor_context
from openlineage.client import OpenLineageClient
from openlineage.client.transport.transport import Config, Transport

from audit_pipelines.capture import AuditStoreResource, CaptureInterrupted, capture_sensor
from audit_pipelines.capture import sensor as capture_module
from audit_pipelines.capture.sensor import capture_until_idle, run_capture
from lineage.store import AuditStore
from lineage.transport import StoreTransport

REPO = Path(__file__).resolve().parents[2]
KEYS = ("burst_a", "burst_b", "burst_c")


class FailAfter(Transport):
    """The store transport until `allowed` events were stored, then a failing connection."""

    kind = "test_fail_after"
    config_class = Config

    def __init__(self, store: AuditStore, allowed: int) -> None:
        self.inner = StoreTransport.for_store(store)
        self.allowed = allowed
        self.emitted = 0

    def emit(self, event: Any) -> None:
        if self.emitted >= self.allowed:
            raise ConnectionError("audit database went away")
        self.inner.emit(event)
        self.emitted += 1


def failing_client(store: AuditStore, allowed: int) -> OpenLineageClient:
    return OpenLineageClient(transport=FailAfter(store, allowed))


def assert_exactly_once(store: AuditStore, instance: DagsterInstance) -> None:
    assert store.count_entries() == log_record_count(instance, KEYS)
    assert max(Counter(origins(store)).values()) == 1


def test_failure_mid_batch_then_replay(instance: DagsterInstance, audit_store: AuditStore) -> None:
    burst_job(120, KEYS).execute_in_process(instance=instance)
    with pytest.raises(CaptureInterrupted) as stopped:
        run_capture(instance, None, audit_store, None, client=failing_client(audit_store, 57))
    assert stopped.value.emitted == 57
    assert audit_store.count_entries() == 57

    # The daemon saved no cursor for the failed tick: the replay starts from the old one.
    cursor, emitted = capture_until_idle(instance, None, audit_store, cursor=None)
    assert emitted == 122  # 57 of them come back as duplicates and are not stored again
    assert_exactly_once(audit_store, instance)
    # Resuming from the partial cursor instead re-emits nothing already committed.
    _, again = capture_until_idle(instance, None, audit_store, cursor=stopped.value.cursor)
    assert again == 122 - 57
    assert_exactly_once(audit_store, instance)
    assert capture_until_idle(instance, None, audit_store, cursor=cursor)[1] == 0


def test_sensor_keeps_partial_progress_and_fails_without_progress(
    instance: DagsterInstance,
    audit_store: AuditStore,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    burst_job(30, KEYS).execute_in_process(instance=instance)
    defs = Definitions(sensors=[capture_sensor])
    allowed = {"count": 10}
    monkeypatch.setattr(
        capture_module, "build_client", lambda store: failing_client(store, allowed["count"])
    )

    def tick(cursor: str | None) -> Any:
        context = build_sensor_context(
            instance=instance,
            cursor=cursor,
            definitions=defs,
            resources={"audit_store": AuditStoreResource(url=store_url)},
        )
        return capture_sensor(context)

    partial = tick(None)
    assert isinstance(partial, SensorResult)  # 10 committed: the cursor keeps them
    assert audit_store.count_entries() == 10
    allowed["count"] = 0
    with pytest.raises(CaptureInterrupted):
        tick(partial.cursor)  # no progress at all: the tick fails visibly
    allowed["count"] = 10_000
    tick(partial.cursor)
    assert_exactly_once(audit_store, instance)


KILLED_CAPTURE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path

    import lineage.store
    from dagster import DagsterInstance
    import audit_pipelines.capture.sensor as capture_sensor
    from audit_pipelines.capture.sensor import run_capture
    from lineage.store import AuditStore

    url, cursor_file, kill_at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    project = lineage.store.project_entries
    calls = {"n": 0}

    def project_then_die(conn, entries, *preload):
        # Inside the store's transaction: rows appended, projection running, nothing committed.
        calls["n"] += 1
        if calls["n"] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return project(conn, entries, *preload)

    lineage.store.project_entries = project_then_die
    capture_sensor.CHUNK_RECORDS = 5  # two store transactions per 10-record tick
    store = AuditStore.open(url)
    with DagsterInstance.get() as instance:
        cursor = None
        while True:
            new, _ = run_capture(instance, None, store, cursor, max_events=10)
            if new == cursor:
                break
            cursor_file.write_text(new)  # what the daemon persists after a successful tick
            cursor = new
    """
)


def test_sigkill_inside_a_store_transaction_then_resume(
    instance: DagsterInstance, audit_store: AuditStore, store_url: str, tmp_path: Path
) -> None:
    burst_job(100, KEYS).execute_in_process(instance=instance)
    script, cursor_file = tmp_path / "capture.py", tmp_path / "cursor.json"
    script.write_text(KILLED_CAPTURE)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.run(
        [sys.executable, str(script), store_url, str(cursor_file), "10"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    # Ticks of 10 records in chunks of 5: four ticks saved (40); the fifth committed its first
    # chunk (45) and died inside the transaction of its second, before saving its cursor.
    assert audit_store.count_entries() == 45
    saved = cursor_file.read_text()
    capture_until_idle(instance, None, audit_store, cursor=saved)
    assert_exactly_once(audit_store, instance)
    assert audit_store.count_entries() == 102
