"""The capture sensor: Dagster's event log -> OpenLineage events in the audit store.

Reading is in audit_pipelines/capture/streams.py: every stream in storage-id order. Emission is
batched: the events of a chunk of records are ingested in one store transaction.

Exactly once: a stream's position moves past a record only after all of that record's events were
committed by the store. A crash (or a store error) between commit and cursor save replays those
records on the next tick; the mapper is deterministic and the store keys events by their
canonical bytes, so the replay stores nothing twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from dagster import (
    DagsterInstance,
    DefaultSensorStatus,
    Definitions,
    RepositoryDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from openlineage.client import OpenLineageClient

from audit_pipelines.capture.cursor import CaptureCursor
from audit_pipelines.capture.emitter import AuditFirstTransport, AuditStoreResource, build_client
from audit_pipelines.capture.mapper import DagsterLookup, map_record
from audit_pipelines.capture.streams import (  # the sensor's public reading API
    PAGE_SIZE,
    RUN_STATUS_TYPES,
    StreamRecord,
    read_batch,
)
from lineage.store import AuditStore

__all__ = ["PAGE_SIZE", "RUN_STATUS_TYPES", "capture_sensor", "read_batch", "run_capture"]

SENSOR_NAME = "mlaudit_capture"
DEFAULT_MAX_EVENTS = 5000  # Dagster records read per tick
# Work per tick stops between chunks after this long: well inside the sensor's 60 s gRPC timeout.
TICK_SECONDS = 20.0
# Records whose events are ingested in one store transaction (one commit, one lock, one batch
# projection instead of one per event).
CHUNK_RECORDS = 250
MAX_EVENTS_ENV = "MLAUDIT_CAPTURE_MAX_EVENTS"
# On storages where concurrent writers can commit storage ids out of order (PostgreSQL), records
# younger than this are left for the next tick, so a lower id committed late is not jumped over.
SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class Follow:
    """How a tick that found records keeps reading (a burst in progress) rather than leaving
    what arrives to the next tick: the sensor daemon loops no faster than every 5 s (whatever
    the sensor's interval), so a burst's materializations waited 2.5 s for a tick on average
    before its own work. `pause`: from one read's start to the next (six queries to Dagster's
    storage each); `idle`: the tick ends once reads found nothing for this long (a run's next
    step or the next run of a burst starting)."""

    pause: float = 0.5
    idle: float = 2.0


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
    follow: Follow | None = None,
) -> tuple[str, int]:
    """One capture tick: map and emit up to `max_events` records after `cursor`.

    follow: keep reading while records arrive (see Follow), within the tick's record and time
    budgets; None reads once. Returns (new cursor, number of OpenLineage events emitted).
    Raises CaptureInterrupted (with the cursor of what was committed) when emission fails
    part-way.
    """
    position = CaptureCursor.parse(cursor)
    settle = _default_settle(instance) if settle_seconds is None else settle_seconds
    lookup = DagsterLookup(instance, _repository(definitions))
    client = client or build_client(store)
    deadline = time.monotonic() + TICK_SECONDS
    emitted = records = 0
    found_at: float | None = None  # when the last read that found records began
    while records < max_events:
        began = time.monotonic()
        batch = read_batch(instance, position, max_events - records, settle)
        records += len(batch)
        found_at = began if batch else found_at
        emitted, done = _emit(batch, position, lookup, client, emitted, deadline)
        if not done or follow is None or found_at is None:
            break  # stopped by the deadline, asked to read once, or nothing arrived at all
        if not batch and began - found_at >= follow.idle:
            break
        pause = max(0.0, began + follow.pause - time.monotonic())
        if time.monotonic() + pause >= deadline:
            break
        time.sleep(pause)
    return position.serialize(), emitted


def _emit(
    batch: Sequence[StreamRecord],
    position: CaptureCursor,
    lookup: DagsterLookup,
    client: OpenLineageClient,
    emitted: int,
    deadline: float,
) -> tuple[int, bool]:
    """Emit `batch` chunk by chunk, moving `position` past each committed chunk; (events emitted
    in all, False if the deadline passed: the tick ends)."""
    for chunk in _chunks(batch, CHUNK_RECORDS if _batches(client) else 1):
        pending = 0
        try:
            with _batch(client):
                for item in chunk:
                    for event in map_record(item.record, lookup):
                        client.emit(event)
                        pending += 1
        except Exception as error:
            # A batch is all or nothing; unbatched emits before the failure are committed.
            committed = emitted + (0 if _batches(client) else pending)
            raise CaptureInterrupted(position.serialize(), committed, error) from error
        emitted += pending
        for item in chunk:
            position.advance(item.stream, item.record.storage_id)
        if time.monotonic() > deadline:
            return emitted, False  # the rest is read again next tick
    return emitted, True


def _batches(client: OpenLineageClient) -> bool:
    return isinstance(client.transport, AuditFirstTransport)


def _batch(client: OpenLineageClient) -> AbstractContextManager[None]:
    """All-or-nothing ingest of what is emitted inside, when the client's transport can batch."""
    return client.transport.batch() if _batches(client) else nullcontext()


def _chunks(items: Sequence[StreamRecord], size: int) -> Iterator[Sequence[StreamRecord]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


# The daemon's loop (every 5 s, at once after an iteration of 5 s or more) sets the pace. The
# sensor's own interval is counted from a tick's recorded start, a little after its iteration
# began: at 5 s, the next iteration (5 s after this one began) found 4.99 s elapsed and skipped,
# so ticks came every 10 s, and a long tick following a burst was not followed by another at once.
@sensor(
    name=SENSOR_NAME,
    minimum_interval_seconds=1,
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
            context.instance,
            context.repository_def,
            store,
            context.cursor,
            tick_budget(),
            follow=Follow(),
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
