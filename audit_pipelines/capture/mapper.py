"""Dagster event-log record -> OpenLineage RunEvents (ARCHITECTURE.md, "Capturing Dagster").

This module only dispatches a record to the mapping of its kind:
- `runs`: run status changes (and, when a run ends, its asset check evaluations),
- `materializations`: asset materializations, with the facets of the asset's role (`roles`),
- `checks`: asset check evaluations,
- `observations`: reads of the audited IO manager, lifecycle changes, plain observations.
They share `building` (jobs, child runs, facets, the event), `lookup` (what is asked of the
instance and the definitions), `provenance` (recorded versions) and `values`.

The mapping is deterministic: every value comes from the Dagster record (times from its
timestamp, run ids derived from Dagster's, the storage id in `mlaudit_dagster`) or from immutable
records it points at, never from the clock or a random source. Replaying a record therefore yields
byte-identical events, which the store's idempotency key turns into "stored once".
"""

from __future__ import annotations

from dagster import DagsterEventType, EventLogRecord
from openlineage.client import event_v2
from openlineage.client.serde import Serde

from audit_pipelines.capture.building import PRODUCER, RUN_ID_NAMESPACE
from audit_pipelines.capture.checks import map_check_evaluation
from audit_pipelines.capture.lookup import DagsterLookup, RunInfo
from audit_pipelines.capture.materializations import map_materialization
from audit_pipelines.capture.observations import map_observation
from audit_pipelines.capture.runs import RUN_STATUS_EVENTS, map_run_status

__all__ = [
    "PRODUCER",
    "RUN_ID_NAMESPACE",
    "DagsterLookup",
    "RunInfo",
    "event_json",
    "map_record",
]


def map_record(record: EventLogRecord, lookup: DagsterLookup) -> list[event_v2.RunEvent]:
    """The OpenLineage events of one Dagster event-log record ([] for kinds not captured)."""
    event_type = record.event_log_entry.dagster_event_type
    if event_type in RUN_STATUS_EVENTS:
        return map_run_status(record, lookup)
    if event_type == DagsterEventType.ASSET_MATERIALIZATION:
        return [map_materialization(record, lookup)]
    if event_type == DagsterEventType.ASSET_OBSERVATION:
        return map_observation(record, lookup)
    if event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
        return [map_check_evaluation(record, lookup)]
    return []


def event_json(event: event_v2.RunEvent) -> str:
    """The event's JSON as the OpenLineage client serialises it (sorted keys)."""
    return Serde.to_json(event)
