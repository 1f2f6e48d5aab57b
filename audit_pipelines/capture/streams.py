"""Reading Dagster's event log for the capture: every stream, merged in storage-id order.

Streams: each run status type, all materializations, all observations. Records of all streams
are merged by storage id (one id sequence on both the SQLite index shard and PostgreSQL) up to a
horizon below which every stream was read completely, so events reach the store in log order and
a bounded read never jumps over a record of a stream it cut short.

Asset events are read across all asset keys with the event log storage's `get_event_records`:
the instance's `fetch_*` methods need one query per asset key, which made a tick's cost grow with
the number of assets ever materialized (two queries per key per tick). The storage method is the
one those `fetch_*` methods call; Dagster's version is pinned in pyproject.toml.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dagster import DagsterEventType, DagsterInstance, EventLogRecord, EventRecordsFilter
from dagster._core.event_api import RunStatusChangeRecordsFilter

from audit_pipelines.capture.cursor import CaptureCursor, asset_stream, run_stream

PAGE_SIZE = 500
RUN_STATUS_TYPES = (
    DagsterEventType.RUN_START,
    DagsterEventType.RUN_SUCCESS,
    DagsterEventType.RUN_FAILURE,
    DagsterEventType.RUN_CANCELED,
)
ASSET_EVENT_TYPES = {
    "materialization": DagsterEventType.ASSET_MATERIALIZATION,
    "observation": DagsterEventType.ASSET_OBSERVATION,
}

# (after storage id, limit) -> (records ascending, whether more may follow)
Fetch = Callable[[int | None, int], tuple[list[EventLogRecord], bool]]


@dataclass(frozen=True)
class StreamRecord:
    stream: str
    record: EventLogRecord


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
    """Every stream of the log: each run status type, then each asset event kind."""
    found: list[tuple[str, Fetch]] = [
        (run_stream(event_type.name), _run_status_fetch(instance, event_type))
        for event_type in RUN_STATUS_TYPES
    ]
    for kind, event_type in ASSET_EVENT_TYPES.items():
        found.append((asset_stream(kind), _asset_fetch(instance, event_type)))
    return found


def read_stream(
    fetch: Fetch, after: int | None, limit: int, not_after: float | None
) -> tuple[list[EventLogRecord], int | None]:
    """Up to `limit` records after `after`, paging ascending until no more follow.

    Returns (records, bound): bound is None when the stream was read to its end, else the
    highest storage id below which this read saw every record of the stream.
    """
    records: list[EventLogRecord] = []
    while len(records) < limit:
        page, more = fetch(after, min(PAGE_SIZE, limit - len(records)))
        for record in page:
            if not_after is not None and record.timestamp > not_after:
                return records, record.storage_id - 1  # too young: maybe an id gap below it
            records.append(record)
            after = record.storage_id
        if not more or not page:
            return records, None
    return records, after


def _run_status_fetch(instance: DagsterInstance, event_type: DagsterEventType) -> Fetch:
    def fetch(after: int | None, limit: int) -> tuple[list[EventLogRecord], bool]:
        records_filter = RunStatusChangeRecordsFilter(event_type=event_type, after_storage_id=after)
        result = instance.fetch_run_status_changes(records_filter, limit=limit, ascending=True)
        return list(result.records), result.has_more

    return fetch


def _asset_fetch(instance: DagsterInstance, event_type: DagsterEventType) -> Fetch:
    storage = instance.event_log_storage

    def fetch(after: int | None, limit: int) -> tuple[list[EventLogRecord], bool]:
        records_filter = EventRecordsFilter(event_type=event_type, after_cursor=after)
        records = list(storage.get_event_records(records_filter, limit=limit, ascending=True))
        return records, len(records) == limit

    return fetch
