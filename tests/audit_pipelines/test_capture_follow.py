"""A capture tick follows a burst in progress: what Dagster writes while the tick emits is read
within the same tick (the sensor's `Follow`), not left to the next one, 5 s later."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest_capture import (  # noqa: F401 - fixtures are used by name
    audit_store_fixture,
    burst_job,
    capture_home_fixture,
    instance_fixture,
    log_record_count,
    store_url_fixture,
)
from dagster import DagsterInstance
from openlineage.client import OpenLineageClient
from openlineage.client.transport.transport import Config, Transport

from audit_pipelines.capture import capture_sensor
from audit_pipelines.capture import sensor as capture_module
from audit_pipelines.capture.sensor import Follow, capture_until_idle, read_batch, run_capture
from lineage.store import AuditStore
from lineage.transport import StoreTransport

FIRST, SECOND = ("burst_a", "burst_b"), ("burst_c",)
FAST = Follow(pause=0.0, idle=0.0)


class WritesMore(Transport):
    """The store transport; before its first event, Dagster logs another burst (a run that
    goes on while the capture emits)."""

    kind = "test_writes_more"
    config_class = Config

    def __init__(self, store: AuditStore, more: Callable[[], Any]) -> None:
        self.inner = StoreTransport.for_store(store)
        self.more: Callable[[], Any] | None = more

    def emit(self, event: Any) -> None:
        if self.more is not None:
            more, self.more = self.more, None
            more()
        self.inner.emit(event)


def _client(store: AuditStore, instance: DagsterInstance) -> OpenLineageClient:
    second = burst_job(7, SECOND)
    return OpenLineageClient(
        transport=WritesMore(store, lambda: second.execute_in_process(instance=instance))
    )


def test_a_following_tick_captures_what_arrives_while_it_emits(
    instance: DagsterInstance, audit_store: AuditStore
) -> None:
    burst_job(10, FIRST).execute_in_process(instance=instance)
    client = _client(audit_store, instance)
    cursor, _ = run_capture(instance, None, audit_store, None, client=client, follow=FAST)
    assert audit_store.count_entries() == log_record_count(instance, FIRST + SECOND)
    assert capture_until_idle(instance, None, audit_store, cursor=cursor)[1] == 0


def test_a_tick_that_does_not_follow_leaves_it_to_the_next(
    instance: DagsterInstance, audit_store: AuditStore
) -> None:
    burst_job(10, FIRST).execute_in_process(instance=instance)
    before = log_record_count(instance, FIRST)
    cursor, _ = run_capture(
        instance, None, audit_store, None, client=_client(audit_store, instance)
    )
    assert audit_store.count_entries() == before < log_record_count(instance, FIRST + SECOND)
    run_capture(instance, None, audit_store, cursor)
    assert audit_store.count_entries() == log_record_count(instance, FIRST + SECOND)


def test_following_keeps_the_ticks_record_budget(
    instance: DagsterInstance, audit_store: AuditStore
) -> None:
    burst_job(10, FIRST).execute_in_process(instance=instance)
    client = _client(audit_store, instance)
    cursor, _ = run_capture(instance, None, audit_store, None, 15, client=client, follow=FAST)
    assert audit_store.count_entries() == 15
    capture_until_idle(instance, None, audit_store, cursor=cursor)
    assert audit_store.count_entries() == log_record_count(instance, FIRST + SECOND)


def _burst_after_an_empty_read(instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster logs the second burst just after the tick's second read, which found nothing."""
    reads = {"n": 0}
    second = burst_job(7, SECOND)

    def read_then_write(*args: Any) -> Any:
        batch = read_batch(*args)
        reads["n"] += 1
        if reads["n"] == 2:
            assert batch == []
            second.execute_in_process(instance=instance)
        return batch

    monkeypatch.setattr(capture_module, "read_batch", read_then_write)


@pytest.mark.parametrize(("idle", "second_captured"), [(0.5, True), (0.0, False)])
def test_a_tick_follows_until_reads_found_nothing_for_its_idle_time(
    instance: DagsterInstance,
    audit_store: AuditStore,
    monkeypatch: pytest.MonkeyPatch,
    idle: float,
    second_captured: bool,
) -> None:
    burst_job(10, FIRST).execute_in_process(instance=instance)
    first = log_record_count(instance, FIRST)
    _burst_after_an_empty_read(instance, monkeypatch)
    run_capture(instance, None, audit_store, None, follow=Follow(pause=0.05, idle=idle))
    everything = log_record_count(instance, FIRST + SECOND)
    assert first < everything
    assert audit_store.count_entries() == (everything if second_captured else first)


def test_the_sensor_is_evaluated_at_every_turn_of_the_daemons_loop() -> None:
    # Dagster counts the interval from the last tick's recorded start, a little after its loop
    # iteration began: an interval equal to the loop's made every other iteration skip the tick.
    from dagster._daemon.sensor import MIN_INTERVAL_LOOP_TIME

    assert capture_sensor.minimum_interval_seconds < MIN_INTERVAL_LOOP_TIME
