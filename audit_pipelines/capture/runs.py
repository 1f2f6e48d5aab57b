"""Run status changes: START/COMPLETE/FAIL/ABORT of the Dagster run itself."""

from __future__ import annotations

from dagster import DagsterEventType, EventLogEntry, EventLogRecord
from openlineage.client import event_v2
from openlineage.client.facet_v2 import error_message_run

from audit_pipelines.capture.building import PRODUCER, base_facets, build_event, job_of
from audit_pipelines.capture.checks import map_check_evaluation
from audit_pipelines.capture.lookup import DagsterLookup

RUN_STATUS_EVENTS: dict[DagsterEventType, event_v2.RunState] = {
    DagsterEventType.RUN_START: event_v2.RunState.START,
    DagsterEventType.RUN_SUCCESS: event_v2.RunState.COMPLETE,
    DagsterEventType.RUN_FAILURE: event_v2.RunState.FAIL,
    DagsterEventType.RUN_CANCELED: event_v2.RunState.ABORT,
}
TERMINAL_RUN_EVENTS = frozenset(
    {DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED}
)


def map_run_status(record: EventLogRecord, lookup: DagsterLookup) -> list[event_v2.RunEvent]:
    """START/COMPLETE/FAIL/ABORT of the Dagster run; a finished run's check evaluations first,
    so the store sees them before the run closes (and a run's checks are read once it ended)."""
    entry = record.event_log_entry
    info = lookup.run_info(entry)
    events: list[event_v2.RunEvent] = []
    if entry.dagster_event_type in TERMINAL_RUN_EVENTS:
        events.extend(
            map_check_evaluation(check, lookup) for check in lookup.check_records(info.run_id)
        )
    facets = base_facets(info, entry, record.storage_id)
    if entry.dagster_event_type == DagsterEventType.RUN_FAILURE:
        facets["errorMessage"] = run_failure_facet(entry)
    job = job_of(info.job_name or "unknown", "JOB")
    state = RUN_STATUS_EVENTS[entry.dagster_event_type]
    events.append(build_event(state, entry, job, info.run_id, facets))
    return events


def run_failure_facet(entry: EventLogEntry) -> error_message_run.ErrorMessageRunFacet:
    data = entry.dagster_event.event_specific_data if entry.dagster_event else None
    error = getattr(data, "error", None)
    return error_message_run.ErrorMessageRunFacet(
        message=(entry.dagster_event.message if entry.dagster_event else None) or "run failed",
        programmingLanguage="python",
        stackTrace=error.to_string() if error is not None else None,
        producer=PRODUCER,
    )
