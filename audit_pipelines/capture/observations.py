"""Asset observations: reads logged by the audited IO manager, lifecycle changes (deletions), and
plain observations (e.g. of an external source)."""

from __future__ import annotations

from dagster import AssetKey, EventLogRecord
from openlineage.client import event_v2
from openlineage.client.facet_v2 import lifecycle_state_change_dataset, tags_run

from audit_pipelines.capture import io_manager as reads
from audit_pipelines.capture.building import (
    PRODUCER,
    asset_child,
    base_facets,
    build_event,
    child_run_id,
    input_dataset,
    job_of,
    step_child,
)
from audit_pipelines.capture.lookup import DagsterLookup, RunInfo
from audit_pipelines.capture.provenance import DATA_VERSION_TAG
from audit_pipelines.capture.values import raw_value, text_value

LIFECYCLE_STATES = frozenset(
    item.value for item in lifecycle_state_change_dataset.LifecycleStateChange
)
OUTSIDE_RUN_READ_JOB = "outside_run_read"


def map_observation(record: EventLogRecord, lookup: DagsterLookup) -> list[event_v2.RunEvent]:
    metadata = record.event_log_entry.asset_observation.metadata
    if text_value(metadata.get(reads.ACCESS_KEY)) == reads.READ_ACCESS:
        return map_read(record, lookup)
    state = (text_value(metadata.get("lifecycle_state")) or "").upper()
    if state in LIFECYCLE_STATES:
        return [map_lifecycle(record, lookup, state)]
    return [map_plain_observation(record, lookup)]


def map_read(record: EventLogRecord, lookup: DagsterLookup) -> list[event_v2.RunEvent]:
    """A read: RUNNING of each reader's child run with the upstream version as input."""
    entry = record.event_log_entry
    observation = entry.asset_observation
    metadata = observation.metadata
    info = lookup.run_info(entry)
    pointer = raw_value(metadata.get(reads.UPSTREAM_STORAGE_ID_KEY))
    named = lookup.pointed_dataset(
        observation.asset_key, pointer if isinstance(pointer, int) else None
    )
    read = input_dataset(named, text_value(metadata.get(reads.DATA_VERSION_KEY)))
    if not info.run_id:
        # A read outside any run (e.g. a notebook's load_asset_value): a run of its own.
        facets = base_facets(info, entry, record.storage_id, observation.asset_key)
        job = job_of(OUTSIDE_RUN_READ_JOB, "READ")
        run_id = child_run_id("runless", str(record.storage_id))
        return [build_event(event_v2.RunState.COMPLETE, entry, job, run_id, facets, [read])]
    reader_assets = raw_value(metadata.get(reads.READER_ASSETS_KEY))
    readers = [AssetKey.from_user_string(str(k)) for k in reader_assets or []]
    return [_reader_event(record, info, reader, read) for reader in readers or [None]]


def _reader_event(
    record: EventLogRecord, info: RunInfo, reader: AssetKey | None, read: event_v2.InputDataset
) -> event_v2.RunEvent:
    """RUNNING of the reading asset's child run, or of the reading step's when it produces no
    asset (e.g. an asset check or an op)."""
    entry = record.event_log_entry
    key = entry.asset_observation.asset_key
    facets = base_facets(info, entry, record.storage_id, key)
    if reader is not None:
        job, run_id = asset_child(info, reader, record.storage_id, facets)
    else:
        job, run_id = step_child(info, entry.step_key, key, record.storage_id, facets)
    return build_event(event_v2.RunState.RUNNING, entry, job, run_id, facets, [read])


def map_lifecycle(record: EventLogRecord, lookup: DagsterLookup, state: str) -> event_v2.RunEvent:
    """A lifecycle change (e.g. DROP from the deletion job): the acting step's child run outputs
    the dataset with the standard `lifecycleStateChange` facet."""
    entry = record.event_log_entry
    observation = entry.asset_observation
    info = lookup.run_info(entry)
    facets = base_facets(info, entry, record.storage_id, observation.asset_key)
    reason = text_value(observation.metadata.get("reason")) or observation.description
    if reason:
        facets["tags"] = tags_run.TagsRunFacet(
            tags=[tags_run.TagsRunFacetFields("lifecycle_reason", reason, "DAGSTER_METADATA")],
            producer=PRODUCER,
        )
    named = lookup.asset_dataset(observation.asset_key, observation.metadata)
    lifecycle = lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
        lifecycleStateChange=lifecycle_state_change_dataset.LifecycleStateChange(state),
        producer=PRODUCER,
    )
    output = event_v2.OutputDataset(
        named.namespace, named.name, facets={"lifecycleStateChange": lifecycle}
    )
    job, run_id = step_child(info, entry.step_key, observation.asset_key, record.storage_id, facets)
    return build_event(event_v2.RunState.COMPLETE, entry, job, run_id, facets, outputs=[output])


def map_plain_observation(record: EventLogRecord, lookup: DagsterLookup) -> event_v2.RunEvent:
    """An observation (e.g. of an external source): the observing child run read the dataset at
    the observed version. An input, not an output: observing changes nothing."""
    entry = record.event_log_entry
    observation = entry.asset_observation
    info = lookup.run_info(entry)
    facets = base_facets(info, entry, record.storage_id, observation.asset_key)
    named = lookup.asset_dataset(observation.asset_key, observation.metadata)
    observed = input_dataset(named, (observation.tags or {}).get(DATA_VERSION_TAG))
    job, run_id = asset_child(info, observation.asset_key, record.storage_id, facets)
    return build_event(event_v2.RunState.COMPLETE, entry, job, run_id, facets, [observed])
