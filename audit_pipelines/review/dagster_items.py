"""What the completeness review compares: Dagster's events in a window, and the ones the capture
stored, both reduced to the identity the capture writes into `mlaudit_dagster`:
(event type, Dagster run id, storage id). Streams are the capture's order of work: one per run
status type and one per asset event kind (`materialization`, `observation`); the capture emits
each in storage-id order, so the newest captured storage id of a stream says which events it
has passed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    EventLogRecord,
)
from dagster._core.event_api import EventRecordsResult, RunStatusChangeRecordsFilter
from sqlalchemy import text
from sqlalchemy.engine import Engine

from audit_pipelines.capture.building import PRODUCER
from audit_pipelines.capture.runs import RUN_STATUS_EVENTS, TERMINAL_RUN_EVENTS
from lineage.timeutil import to_store_time

PAGE_SIZE = 500
RUN_STATUS_TYPES = tuple(RUN_STATUS_EVENTS)
CHECK_EVENT = DagsterEventType.ASSET_CHECK_EVALUATION.name
ASSET_EVENTS = {
    DagsterEventType.ASSET_MATERIALIZATION.name: "materialization",
    DagsterEventType.ASSET_OBSERVATION.name: "observation",
}
# Captured events of the window and everything after it (they set how far each stream got).
CAPTURED = text(
    "SELECT seq, event_time, payload FROM audit_log "
    "WHERE producer = :producer AND event_time >= :since ORDER BY seq"
)

Fetch = Callable[[int | None], EventRecordsResult]
Identity = tuple[str, str, int]  # (event type name, Dagster run id, storage id)


@dataclass(frozen=True)
class Item:
    """One Dagster event (or its captured audit event). `stream`: `run:<status type>` or the
    asset event kind; a check evaluation travels with its run's end, so it is that run status's
    stream, passed at the run end's storage id."""

    event_type: str
    run_id: str
    storage_id: int
    stream: str
    time: str
    asset_key: str | None = None
    seq: int | None = None
    passed_at: int | None = None  # the stream position past which the capture has emitted it

    @property
    def identity(self) -> Identity:
        return (self.event_type, self.run_id, self.storage_id)

    @property
    def position(self) -> int:
        return self.storage_id if self.passed_at is None else self.passed_at


def run_stream(event_type_name: str) -> str:
    return f"run:{event_type_name}"


def store_time(timestamp: float) -> str:
    return to_store_time(datetime.fromtimestamp(timestamp, tz=UTC))


def dagster_items(instance: DagsterInstance, since_ts: float | None, until_ts: float) -> list[Item]:
    """Runs' status changes, materializations, observations and check evaluations in the window."""
    items: list[Item] = []
    for event_type in RUN_STATUS_TYPES:
        stream = run_stream(event_type.name)
        for record in _pages(_run_fetch(instance, event_type, since_ts, until_ts)):
            items.append(_item(record, event_type.name, stream))
            if event_type in TERMINAL_RUN_EVENTS:
                items.extend(_checks(instance, record, stream))
    for key in sorted((r.asset_entry.asset_key for r in instance.get_asset_records()), key=str):
        for kind, observations in (("materialization", False), ("observation", True)):
            fetch = _asset_fetch(instance, key, observations, since_ts, until_ts)
            event_type = (
                DagsterEventType.ASSET_OBSERVATION
                if observations
                else DagsterEventType.ASSET_MATERIALIZATION
            ).name
            items.extend(
                _item(record, event_type, kind, key.to_user_string()) for record in _pages(fetch)
            )
    return items


def captured_items(engine: Engine, since: str | None) -> list[Item]:
    """The capture's events stored from `since` on, identified by their `mlaudit_dagster` facet."""
    found: list[Item] = []
    with engine.connect() as conn:
        rows = conn.execute(CAPTURED, {"producer": PRODUCER, "since": since or ""})
        for row in rows:
            facet = json.loads(row.payload).get("run", {}).get("facets", {}).get("mlaudit_dagster")
            if isinstance(facet, dict) and isinstance(facet.get("storageId"), int):
                found.append(_captured(facet, row.event_time, row.seq))
    return found


def still_in_dagster(instance: DagsterInstance, item: Item) -> bool:
    """Whether the Dagster event a captured item names can still be read from the instance."""
    if item.event_type == CHECK_EVENT:
        connection = instance.get_records_for_run(
            item.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        )
        return any(r.storage_id == item.storage_id for r in connection.records)
    if item.event_type in ASSET_EVENTS and item.asset_key is not None:
        records_filter = AssetRecordsFilter(
            asset_key=AssetKey.from_user_string(item.asset_key), storage_ids=[item.storage_id]
        )
        observations = ASSET_EVENTS[item.event_type] == "observation"
        fetch = instance.fetch_observations if observations else instance.fetch_materializations
        return bool(fetch(records_filter, limit=1).records)
    event_type = getattr(DagsterEventType, item.event_type, None)
    if event_type not in RUN_STATUS_TYPES:
        return False
    records_filter = RunStatusChangeRecordsFilter(
        event_type=event_type, storage_ids=[item.storage_id]
    )
    return bool(instance.fetch_run_status_changes(records_filter, limit=1).records)


def _captured(facet: dict, event_time: str, seq: int) -> Item:
    event_type = str(facet.get("eventType"))
    run_id = str(facet.get("runId") or "")
    asset_key = facet.get("assetKey")
    # A check evaluation's stream says nothing of its run's end: checks are matched by identity.
    stream = ASSET_EVENTS.get(event_type) or run_stream(event_type)
    return Item(event_type, run_id, facet["storageId"], stream, event_time, asset_key, seq)


def _item(record: EventLogRecord, event_type: str, stream: str, key: str | None = None) -> Item:
    run_id = record.event_log_entry.run_id or ""
    return Item(event_type, run_id, record.storage_id, stream, store_time(record.timestamp), key)


def _checks(instance: DagsterInstance, run_end: EventLogRecord, stream: str) -> Iterator[Item]:
    run_id = run_end.event_log_entry.run_id
    connection = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, ascending=True
    )
    for record in connection.records:
        check = record.event_log_entry.dagster_event.event_specific_data
        key = check.asset_key.to_user_string() if check is not None else None
        # Positioned at the run's end: the capture emits a run's checks when it captures that.
        time = store_time(record.timestamp)
        yield Item(
            CHECK_EVENT, run_id, record.storage_id, stream, time, key, None, run_end.storage_id
        )


def _pages(fetch: Fetch) -> Iterator[EventLogRecord]:
    after: int | None = None
    while True:
        result: EventRecordsResult = fetch(after)
        yield from result.records
        if not result.has_more or not result.records:
            return
        after = result.records[-1].storage_id


def _run_fetch(
    instance: DagsterInstance,
    event_type: DagsterEventType,
    since_ts: float | None,
    until_ts: float,
) -> Fetch:
    def fetch(after: int | None) -> EventRecordsResult:
        records_filter = RunStatusChangeRecordsFilter(
            event_type=event_type,
            after_timestamp=since_ts,
            before_timestamp=until_ts,
            after_storage_id=after,
        )
        return instance.fetch_run_status_changes(records_filter, limit=PAGE_SIZE, ascending=True)

    return fetch


def _asset_fetch(
    instance: DagsterInstance,
    key: AssetKey,
    observations: bool,
    since_ts: float | None,
    until_ts: float,
) -> Fetch:
    method = instance.fetch_observations if observations else instance.fetch_materializations

    def fetch(after: int | None) -> EventRecordsResult:
        records_filter = AssetRecordsFilter(
            asset_key=key,
            after_timestamp=since_ts,
            before_timestamp=until_ts,
            after_storage_id=after,
        )
        return method(records_filter, limit=PAGE_SIZE, ascending=True)

    return fetch
