"""The real sensor, ticked headlessly: bursts, bounded ticks, new assets, idle ticks."""

from __future__ import annotations

import json
from collections import Counter

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
from dagster import DagsterInstance, Definitions, SensorResult, SkipReason, build_sensor_context

from audit_pipelines.capture import AuditStoreResource, capture_sensor
from audit_pipelines.capture.cursor import CaptureCursor
from audit_pipelines.capture.sensor import SENSOR_NAME, read_batch
from lineage.store import AuditStore

BURST_KEYS = ("burst_a", "burst_b", "burst_c")


def tick(instance: DagsterInstance, defs: Definitions, url: str, cursor: str | None):
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        definitions=defs,
        resources={"audit_store": AuditStoreResource(url=url)},
    )
    return capture_sensor(context)


def drain(
    instance: DagsterInstance, defs: Definitions, url: str, cursor: str | None
) -> tuple[str | None, int]:
    """Tick the sensor until it skips; return the cursor and the number of ticks that worked."""
    for ticks in range(1000):
        result = tick(instance, defs, url, cursor)
        if isinstance(result, SkipReason):
            return cursor, ticks
        assert isinstance(result, SensorResult)
        cursor = result.cursor
    raise AssertionError("the sensor never went idle")


def test_burst_between_ticks_is_captured_completely(
    instance: DagsterInstance,
    audit_store: AuditStore,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    job_def = burst_job(300, BURST_KEYS)
    defs = Definitions(jobs=[job_def], sensors=[capture_sensor])
    assert defs.get_repository_def().has_sensor_def(SENSOR_NAME)

    # One quick tick on the empty log, then 300 materializations land before the next tick.
    first = tick(instance, defs, store_url, None)
    assert isinstance(first, SensorResult)
    job_def.execute_in_process(instance=instance)
    monkeypatch.setenv("MLAUDIT_CAPTURE_MAX_EVENTS", "64")
    cursor, ticks = drain(instance, defs, store_url, first.cursor)

    expected = log_record_count(instance, BURST_KEYS)
    assert expected == 302  # 300 materializations + run start + run success
    assert ticks == 5  # ceil(302 / 64): every tick bounded, none skipped
    assert audit_store.count_entries() == expected
    stored = Counter(origins(audit_store))
    assert max(stored.values()) == 1
    assert sum(1 for (_, kind, _) in stored if kind == "ASSET_MATERIALIZATION") == 300
    # Events reach the store in Dagster's log order.
    storage_ids = [storage_id for (_, _, storage_id) in origins(audit_store)]
    assert storage_ids == sorted(storage_ids)
    assert json.loads(cursor)["v"] == 2


def test_idle_sensor_skips_and_new_assets_are_picked_up(
    instance: DagsterInstance, audit_store: AuditStore, store_url: str
) -> None:
    first_job, second_job = burst_job(10, ("early",)), burst_job(7, ("late_a", "late_b"))
    defs = Definitions(jobs=[first_job, second_job], sensors=[capture_sensor])
    first_job.execute_in_process(instance=instance)
    cursor, _ = drain(instance, defs, store_url, None)
    assert audit_store.count_entries() == 12
    assert isinstance(tick(instance, defs, store_url, cursor), SkipReason)

    second_job.execute_in_process(instance=instance)  # asset keys the cursor has never seen
    cursor, ticks = drain(instance, defs, store_url, cursor)
    assert ticks == 1
    assert audit_store.count_entries() == 12 + 9
    assert set(json.loads(cursor)["after"]) >= {"asset:materialization", "run:RUN_SUCCESS"}


def test_bounded_batches_follow_log_order_across_streams(instance: DagsterInstance) -> None:
    burst_job(60, BURST_KEYS).execute_in_process(instance=instance)  # a, b, c interleaved
    everything = read_batch(instance, CaptureCursor(), 1000)
    assert len(everything) == 62
    cursor = CaptureCursor()
    seen: list[int] = []
    while batch := read_batch(instance, cursor, 10):
        assert len(batch) <= 10
        for item in batch:
            cursor.advance(item.stream, item.record.storage_id)
        seen.extend(item.record.storage_id for item in batch)
    # Bounded reads of several streams still yield every record once, in storage-id order.
    assert seen == [item.record.storage_id for item in everything]


def test_young_records_wait_for_the_settle_window(instance: DagsterInstance) -> None:
    burst_job(5, BURST_KEYS).execute_in_process(instance=instance)
    assert read_batch(instance, CaptureCursor(), 100, settle_seconds=3600) == []
    assert len(read_batch(instance, CaptureCursor(), 100, settle_seconds=0)) == 7
