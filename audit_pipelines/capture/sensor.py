"""The capture sensor: Dagster's event log -> OpenLineage events in the audit store.

Reading: per stream (each run status type; materializations and observations per asset key), with
Dagster's `fetch_*` API, ascending, paging until `has_more` is false or the tick's budget is used.
Records of all streams are merged by storage id (one id sequence on both the SQLite index shard
and PostgreSQL) up to a horizon below which every stream was read completely, so events reach the
store in log order and a bounded tick never jumps over a record of a stream it cut short.

Exactly once: a stream's position moves past a record only after all of that record's events were
committed by the store. A crash (or a store error) between commit and cursor save replays those
records on the next tick; the mapper is deterministic and the store keys events by their
canonical bytes, so the replay stores nothing twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    Definitions,
    EventLogRecord,
    RepositoryDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.event_api import EventRecordsResult, RunStatusChangeRecordsFilter
from openlineage.client import OpenLineageClient

from audit_pipelines.capture.cursor import CaptureCursor, asset_stream, run_stream
from audit_pipelines.capture.emitter import AuditStoreResource, build_client
from audit_pipelines.capture.mapper import DagsterLookup, map_record
from lineage.store import AuditStore

SENSOR_NAME = "mlaudit_capture"
DEFAULT_MAX_EVENTS = 500  # Dagster records per tick: well inside the sensor's 60 s gRPC timeout
MAX_EVENTS_ENV = "MLAUDIT_CAPTURE_MAX_EVENTS"
PAGE_SIZE = 200
# On storages where concurrent writers can commit storage ids out of order (PostgreSQL), records
# younger than this are left for the next tick, so a lower id committed late is not jumped over.
SETTLE_SECONDS = 2.0

RUN_STATUS_TYPES = (
    DagsterEventType.RUN_START,
    DagsterEventType.RUN_SUCCESS,
    DagsterEventType.RUN_FAILURE,
    DagsterEventType.RUN_CANCELED,
)
ASSET_STREAM_KINDS = ("materialization", "observation")

Fetch = Callable[[int | None, int], EventRecordsResult]


@dataclass(frozen=True)
class StreamRecord:
    stream: str
    record: EventLogRecord


class CaptureInterrupted(Exception):
    """Emission failed mid-batch. `cursor` covers exactly the records committed before."""

    def __init__(self, cursor: str, emitted: int, cause: Exception) -> None:
        super().__init__(f"capture stopped after {emitted} events: {cause}")
        self.cursor = cursor
        self.emitted = emitted


def run_capture(
    instance: DagsterInstance,
    definitions: RepositoryDefinition | Definitions | None,
    store: AuditStore,
    cursor: str | None,
    max_events: int = DEFAULT_MAX_EVENTS,
    *,
    client: OpenLineageClient | None = None,
    settle_seconds: float | None = None,
) -> tuple[str, int]:
    """One capture tick: map and emit up to `max_events` records after `cursor`.

    Returns (new cursor, number of OpenLineage events emitted). Raises CaptureInterrupted (with
    the cursor of what was committed) when emission fails part-way.
    """
    position = CaptureCursor.parse(cursor)
    settle = _default_settle(instance) if settle_seconds is None else settle_seconds
    batch = read_batch(instance, position, max_events, settle)
    lookup = DagsterLookup(instance, _repository(definitions))
    client = client or build_client(store)
    emitted = 0
    for item in batch:
        try:
            for event in map_record(item.record, lookup):
                client.emit(event)
                emitted += 1
        except Exception as error:
            raise CaptureInterrupted(position.serialize(), emitted, error) from error
        position.advance(item.stream, item.record.storage_id)
    return position.serialize(), emitted


def capture_until_idle(
    instance: DagsterInstance,
    definitions: RepositoryDefinition | Definitions | None,
    store: AuditStore,
    cursor: str | None = None,
    max_events: int = DEFAULT_MAX_EVENTS,
    *,
    client: OpenLineageClient | None = None,
    max_ticks: int = 100_000,
) -> tuple[str, int]:
    """Tick until the log is drained (for the demo and tests). Returns (cursor, events emitted)."""
    client = client or build_client(store)
    total = 0
    for _ in range(max_ticks):
        new_cursor, emitted = run_capture(
            instance, definitions, store, cursor, max_events, client=client, settle_seconds=0.0
        )
        total += emitted
        if new_cursor == cursor:
            return new_cursor, total
        cursor = new_cursor
    raise RuntimeError(f"the event log did not drain within {max_ticks} ticks")


def read_batch(
    instance: DagsterInstance, position: CaptureCursor, limit: int, settle_seconds: float = 0.0
) -> list[StreamRecord]:
    """The next records in storage-id order, at most `limit`, none beyond the horizon."""
    not_after = time.time() - settle_seconds if settle_seconds > 0 else None
    pending: list[StreamRecord] = []
    horizon: int | None = None
    for stream, fetch in streams(instance):
        records, bound = read_stream(fetch, position.position(stream), limit, not_after)
        pending.extend(StreamRecord(stream, record) for record in records)
        if bound is not None:
            horizon = bound if horizon is None else min(horizon, bound)
    pending.sort(key=lambda item: item.record.storage_id)
    if horizon is not None:
        pending = [item for item in pending if item.record.storage_id <= horizon]
    return pending[:limit]


def streams(instance: DagsterInstance) -> list[tuple[str, Fetch]]:
    """Every stream of the log: each run status type, then each asset key's kinds."""
    found: list[tuple[str, Fetch]] = [
        (run_stream(event_type.name), _run_status_fetch(instance, event_type))
        for event_type in RUN_STATUS_TYPES
    ]
    # Asset keys with any event (materialized, observed or only planned); the cursor's keys would
    # miss new assets, and get_asset_records' per-kind summaries miss observations in 1.13.
    keys = sorted(
        (record.asset_entry.asset_key for record in instance.get_asset_records()), key=str
    )
    for key in keys:
        found.append((asset_stream("materialization", key), _asset_fetch(instance, key, False)))
        found.append((asset_stream("observation", key), _asset_fetch(instance, key, True)))
    return found


def read_stream(
    fetch: Fetch, after: int | None, limit: int, not_after: float | None
) -> tuple[list[EventLogRecord], int | None]:
    """Up to `limit` records after `after`, paging ascending until has_more is false.

    Returns (records, bound): bound is None when the stream was read to its end, else the
    highest storage id below which this read saw every record of the stream.
    """
    records: list[EventLogRecord] = []
    while len(records) < limit:
        result = fetch(after, min(PAGE_SIZE, limit - len(records)))
        for record in result.records:
            if not_after is not None and record.timestamp > not_after:
                return records, record.storage_id - 1  # too young: maybe an id gap below it
            records.append(record)
            after = record.storage_id
        if not result.has_more or not result.records:
            return records, None
    return records, after


def _run_status_fetch(instance: DagsterInstance, event_type: DagsterEventType) -> Fetch:
    def fetch(after: int | None, limit: int) -> EventRecordsResult:
        records_filter = RunStatusChangeRecordsFilter(event_type=event_type, after_storage_id=after)
        return instance.fetch_run_status_changes(records_filter, limit=limit, ascending=True)

    return fetch


def _asset_fetch(instance: DagsterInstance, key: AssetKey, observations: bool) -> Fetch:
    method = instance.fetch_observations if observations else instance.fetch_materializations

    def fetch(after: int | None, limit: int) -> EventRecordsResult:
        records_filter = AssetRecordsFilter(asset_key=key, after_storage_id=after)
        return method(records_filter, limit=limit, ascending=True)

    return fetch


def tick_budget() -> int:
    """Dagster records per sensor tick: MLAUDIT_CAPTURE_MAX_EVENTS, else DEFAULT_MAX_EVENTS."""
    value = os.environ.get(MAX_EVENTS_ENV, "").strip()
    return max(1, int(value)) if value else DEFAULT_MAX_EVENTS


def _repository(
    definitions: RepositoryDefinition | Definitions | None,
) -> RepositoryDefinition | None:
    if isinstance(definitions, Definitions):
        return definitions.get_repository_def()
    return definitions


def _default_settle(instance: DagsterInstance) -> float:
    # SQLite serialises writers (ids commit in order) and in-memory storage is one process.
    name = type(instance.event_log_storage).__name__
    return 0.0 if ("Sqlite" in name or "InMemory" in name) else SETTLE_SECONDS


@sensor(
    name=SENSOR_NAME,
    minimum_interval_seconds=15,
    default_status=DefaultSensorStatus.RUNNING,
    description="Captures Dagster runs, materializations, observations (reads, deletions) and "
    "asset checks as OpenLineage events into the mlaudit audit store.",
)
def capture_sensor(
    context: SensorEvaluationContext, audit_store: AuditStoreResource
) -> SensorResult | SkipReason:
    store = audit_store.open()
    try:
        cursor, emitted = run_capture(
            context.instance, context.repository_def, store, context.cursor, tick_budget()
        )
    except CaptureInterrupted as stop:
        if stop.cursor == CaptureCursor.parse(context.cursor).serialize():
            raise  # no progress at all: fail the tick so the error is visible
        # Keep the committed progress; the failing record is retried next tick.
        context.log.error(f"mlaudit capture interrupted: {stop}")
        return SensorResult(cursor=stop.cursor)
    if cursor == context.cursor:
        return SkipReason("no new Dagster events")
    context.log.info(f"mlaudit captured {emitted} OpenLineage events")
    return SensorResult(cursor=cursor)
