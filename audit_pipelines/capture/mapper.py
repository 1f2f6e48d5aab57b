"""Dagster event-log record -> OpenLineage RunEvents (ARCHITECTURE.md, "Capturing Dagster").

A Dagster run is an OpenLineage run of the job `dagster/<job name>` whose run id is Dagster's.
Each asset touched in a run is a child job run (job `dagster/<asset key path>`, run id = UUIDv5 of
the Dagster run id and the asset key, `parent` -> the Dagster run), as the Airflow integration does
for tasks. A step that is not an asset (an op job's op) is the child job `<job name>.<step key>`.

The mapping is deterministic: every value comes from the Dagster record (times from its
timestamp, run ids derived from Dagster's, the storage id in `mlaudit_dagster`) or from immutable
records it points at, never from the clock or a random source. Replaying a record therefore yields
byte-identical events, which the store's idempotency key turns into "stored once".
"""

from __future__ import annotations

import math
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dagster
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    EventLogEntry,
    EventLogRecord,
    FloatMetadataValue,
    IntMetadataValue,
    RepositoryDefinition,
)
from openlineage.client import event_v2
from openlineage.client.constants import __version__ as OPENLINEAGE_CLIENT_VERSION
from openlineage.client.facet_v2 import (
    DatasetFacet,
    RunFacet,
    dataset_type_dataset,
    dataset_version_dataset,
    error_message_run,
    job_type_job,
    lifecycle_state_change_dataset,
    parent_run,
    processing_engine_run,
    tags_run,
)
from openlineage.client.serde import Serde

from audit_pipelines.capture import io_manager as reads
from audit_pipelines.capture.actor import actor_facet
from audit_pipelines.capture.naming import (
    DatasetName,
    asset_path_name,
    dataset_for_asset,
    uri_from_metadata,
)
from lineage.facets import (
    DagsterRunFacet,
    DeploymentRunFacet,
    EvaluationRunFacet,
    ModelRef,
    TrainingRunFacet,
)

PRODUCER = "https://github.com/mlaudit/mlaudit/audit_pipelines"
JOB_NAMESPACE = "dagster"
# Child run ids are UUIDv5 in this namespace: stable across replays, distinct per producer.
RUN_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PRODUCER)

ROLE_TAG = "ml/role"
DATA_VERSION_TAG = "dagster/data_version"
INPUT_VERSION_PREFIX = "dagster/input_data_version/"
INPUT_POINTER_PREFIX = "dagster/input_event_pointer/"
# Run tags Dagster adds or changes after a run started (retries, launcher bookkeeping). Putting
# them in an event would make a replay's bytes depend on when it happened; hidden `.`-tags too.
VOLATILE_RUN_TAGS = frozenset(
    {"dagster/will_retry", "dagster/auto_retry_run_id", "dagster/failure_reason"}
)

RUN_STATUS_EVENTS: dict[DagsterEventType, event_v2.RunState] = {
    DagsterEventType.RUN_START: event_v2.RunState.START,
    DagsterEventType.RUN_SUCCESS: event_v2.RunState.COMPLETE,
    DagsterEventType.RUN_FAILURE: event_v2.RunState.FAIL,
    DagsterEventType.RUN_CANCELED: event_v2.RunState.ABORT,
}
TERMINAL_RUN_EVENTS = frozenset(
    {DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED}
)
LIFECYCLE_STATES = frozenset(
    item.value for item in lifecycle_state_change_dataset.LifecycleStateChange
)
DEPLOYMENT_ACTIONS = frozenset({"deploy", "update", "rollback", "retire"})
OUTSIDE_RUN_READ_JOB = "outside_run_read"


# ---------------------------------------------------------------------------------------------
# What the mapper looks up beyond the record: the run, the asset definitions, pointed-at records.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunInfo:
    """The Dagster run a record belongs to ("" run id for runless events)."""

    run_id: str
    job_name: str | None
    tags: dict[str, str]
    run_config: dict[str, Any]


class DagsterLookup:
    """Cached reads the mapping needs; one per capture tick (runs and definitions can change)."""

    def __init__(self, instance: DagsterInstance, repository_def: RepositoryDefinition | None):
        self.instance = instance
        self._graph = repository_def.asset_graph if repository_def is not None else None
        self._runs: dict[str, RunInfo] = {}
        self._recorded: dict[tuple[AssetKey, int], EventLogRecord | None] = {}
        self._checks: dict[str, list[EventLogRecord]] = {}

    def run_info(self, entry: EventLogEntry) -> RunInfo:
        run_id = entry.run_id or ""
        if run_id not in self._runs:
            self._runs[run_id] = self._load_run(run_id, entry.job_name or None)
        return self._runs[run_id]

    def _load_run(self, run_id: str, job_name: str | None) -> RunInfo:
        run = self.instance.get_run_by_id(run_id) if run_id else None
        if run is None:  # runless event, or a run deleted since
            return RunInfo(run_id, job_name, {}, {})
        tags = {
            key: str(value)
            for key, value in sorted(run.tags.items())
            if key not in VOLATILE_RUN_TAGS and not key.startswith(".")
        }
        return RunInfo(run_id, job_name or run.job_name, tags, json_safe(run.run_config) or {})

    def _node(self, key: AssetKey) -> Any | None:
        if self._graph is None or not self._graph.has(key):
            return None
        return self._graph.get(key)

    def role(self, key: AssetKey) -> str | None:
        node = self._node(key)
        return None if node is None else (node.tags or {}).get(ROLE_TAG)

    def parents(self, key: AssetKey) -> list[AssetKey]:
        node = self._node(key)
        return [] if node is None else sorted(node.parent_keys, key=lambda k: k.to_string())

    def nearest_upstream(self, key: AssetKey, role: str) -> AssetKey | None:
        """The closest ancestor with the role (breadth first, ties by key): e.g. the model a
        deployment deploys, reached through the evaluation it depends on."""
        seen, queue = {key}, deque(self.parents(key))
        while queue:
            candidate = queue.popleft()
            if candidate in seen:
                continue
            seen.add(candidate)
            if self.role(candidate) == role:
                return candidate
            queue.extend(self.parents(candidate))
        return None

    def asset_dataset(
        self, key: AssetKey, metadata: Mapping[str, Any] | None = None
    ) -> DatasetName:
        """Dataset of an asset: `dagster/uri` of the event itself, else of the definition."""
        node = self._node(key)
        uri = uri_from_metadata(metadata) or uri_from_metadata(node.metadata if node else None)
        return dataset_for_asset(key, uri)

    def recorded_event(self, key: AssetKey, storage_id: int) -> EventLogRecord | None:
        """The materialization or observation with that storage id (immutable, so cacheable)."""
        if (key, storage_id) not in self._recorded:
            self._recorded[(key, storage_id)] = self._fetch_by_id(key, storage_id)
        return self._recorded[(key, storage_id)]

    def _fetch_by_id(self, key: AssetKey, storage_id: int) -> EventLogRecord | None:
        records_filter = AssetRecordsFilter(asset_key=key, storage_ids=[storage_id])
        for fetch in (self.instance.fetch_materializations, self.instance.fetch_observations):
            records = fetch(records_filter, limit=1).records
            if records:
                return records[0]
        return None

    def pointed_dataset(self, key: AssetKey, storage_id: int | None) -> DatasetName:
        """Dataset of an input: named as the exact upstream event it points at named it."""
        record = self.recorded_event(key, storage_id) if storage_id is not None else None
        return self.asset_dataset(key, _event_metadata(record) if record else None)

    def check_records(self, run_id: str) -> list[EventLogRecord]:
        """The asset check evaluations of a run. There is no `fetch_*` for them in 1.13, and on
        the default SQLite instance they are not in the cross-run asset index the streams read,
        so they are read per run (storage ids here are the run shard's, never used as cursors)."""
        if run_id not in self._checks:
            connection = self.instance.get_records_for_run(
                run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, ascending=True
            )
            self._checks[run_id] = list(connection.records)
        return self._checks[run_id]


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def map_record(record: EventLogRecord, lookup: DagsterLookup) -> list[event_v2.RunEvent]:
    """The OpenLineage events of one Dagster event-log record ([] for kinds not captured)."""
    entry = record.event_log_entry
    event_type = entry.dagster_event_type
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


# ---------------------------------------------------------------------------------------------
# Run status: the Dagster run itself
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Asset materializations: COMPLETE of the asset's child run
# ---------------------------------------------------------------------------------------------


def map_materialization(record: EventLogRecord, lookup: DagsterLookup) -> event_v2.RunEvent:
    entry = record.event_log_entry
    materialization = entry.asset_materialization
    key = materialization.asset_key
    info = lookup.run_info(entry)
    role = lookup.role(key)
    metadata = materialization.metadata
    tags = materialization.tags or {}  # None on materializations logged by user code
    versions = input_versions(key, tags, lookup)
    facets = base_facets(info, entry, record.storage_id, key)
    role_facets, model_input = role_run_facets(role, key, record, info, versions, lookup)
    facets.update(role_facets)
    if model_input is not None:
        # A deployment's input is the model version it deployed (a rollback deploys an older one).
        model_key, deployed = model_input
        recorded, pointer = versions.get(model_key, (None, None))
        versions = {**versions, model_key: (deployed, pointer if recorded == deployed else None)}
    inputs = [
        input_dataset(lookup.pointed_dataset(up, pointer), version)
        for up, (version, pointer) in sorted(versions.items(), key=lambda kv: kv[0].to_string())
    ]
    # Without a data version (user-logged materializations) the storage id identifies the version.
    version = tags.get(DATA_VERSION_TAG) or str(record.storage_id)
    dataset_facets: dict[str, DatasetFacet] = {"version": version_facet(version)}
    if role == "model":
        dataset_facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(
            datasetType="MODEL", producer=PRODUCER
        )
    named = lookup.asset_dataset(key, metadata)
    output = event_v2.OutputDataset(named.namespace, named.name, facets=dataset_facets)
    job, run_id = asset_child(info, key, record.storage_id, facets)
    return build_event(event_v2.RunState.COMPLETE, entry, job, run_id, facets, inputs, [output])


def input_versions(
    key: AssetKey, tags: Mapping[str, str], lookup: DagsterLookup
) -> dict[AssetKey, tuple[str | None, int | None]]:
    """Upstream asset -> (data version, storage id of the upstream event) from Dagster's
    provenance tags on the materialization."""
    known = {parent.to_user_string(): parent for parent in lookup.parents(key)}
    found: dict[AssetKey, tuple[str | None, int | None]] = {}
    for tag, value in tags.items():
        if not tag.startswith(INPUT_VERSION_PREFIX):
            continue
        user_key = tag[len(INPUT_VERSION_PREFIX) :]
        # The tag holds the user string: resolve it against the definitions' parents, because
        # `/` inside a key component makes the user string ambiguous.
        upstream = known.get(user_key) or AssetKey.from_user_string(user_key)
        pointer = tags.get(INPUT_POINTER_PREFIX + user_key)
        found[upstream] = (value or None, int(pointer) if pointer and pointer.isdigit() else None)
    return found


# ---------------------------------------------------------------------------------------------
# Roles (asset tag `ml/role`): training, evaluation and deployment facets
# ---------------------------------------------------------------------------------------------


def role_run_facets(
    role: str | None,
    key: AssetKey,
    record: EventLogRecord,
    info: RunInfo,
    versions: Mapping[AssetKey, tuple[str | None, int | None]],
    lookup: DagsterLookup,
) -> tuple[dict[str, RunFacet], tuple[AssetKey, str] | None]:
    """Role facets of a materialization, and (model key, version) when the role dictates which
    model version is the input (deployment)."""
    entry = record.event_log_entry
    metadata = entry.asset_materialization.metadata
    if role == "model":
        return {"mlaudit_training": training_facet(metadata, info, entry.step_key)}, None
    if role == "evaluation":
        facet = evaluation_facet(key, record, info, versions, lookup)
        return ({"mlaudit_evaluation": facet} if facet else {}), None
    if role == "deployment":
        facet = deployment_facet(key, metadata, versions, lookup)
        if facet is None:
            return {}, None
        model_key = lookup.nearest_upstream(key, "model") or _explicit_model(metadata)
        version = facet.model.version
        deployed = (model_key, version) if model_key and version else None
        return {"mlaudit_deployment": facet}, deployed
    return {}, None


def training_facet(
    metadata: Mapping[str, Any], info: RunInfo, step_key: str | None
) -> TrainingRunFacet:
    hyperparameters = raw_value(metadata.get("hyperparameters"))
    if not isinstance(hyperparameters, dict):
        # Without a hyperparameters entry, the op's run config is what configured the training.
        hyperparameters = op_config(info.run_config, step_key)
    return TrainingRunFacet(
        algorithm=text_value(metadata.get("algorithm")) or "unknown",
        hyperparameters=json_safe(hyperparameters) or {},
        architecture=text_value(metadata.get("architecture")),
        framework=text_value(metadata.get("framework")),
        producer=PRODUCER,
    )


def evaluation_facet(
    key: AssetKey,
    record: EventLogRecord,
    info: RunInfo,
    versions: Mapping[AssetKey, tuple[str | None, int | None]],
    lookup: DagsterLookup,
) -> EvaluationRunFacet | None:
    entry = record.event_log_entry
    metadata = entry.asset_materialization.metadata
    model = model_ref(key, metadata, versions, lookup)
    if model is None:
        return None  # an evaluation of no identifiable model: the facet would be a lie
    checks = [
        check_item(check.event_log_entry)
        for check in (lookup.check_records(info.run_id) if info.run_id else [])
        # Only checks already in the log when the evaluation was recorded: deterministic.
        if check.event_log_entry.timestamp <= entry.timestamp
        and check.event_log_entry.asset_check_evaluation.asset_key == key
    ]
    return EvaluationRunFacet(
        model=model,
        metrics=float_metrics(metadata),
        checks=checks,
        split=text_value(metadata.get("split")),
        producer=PRODUCER,
    )


def deployment_facet(
    key: AssetKey,
    metadata: Mapping[str, Any],
    versions: Mapping[AssetKey, tuple[str | None, int | None]],
    lookup: DagsterLookup,
) -> DeploymentRunFacet | None:
    model = model_ref(key, metadata, versions, lookup)
    if model is None:
        return None
    action = (text_value(metadata.get("action")) or "deploy").lower()
    return DeploymentRunFacet(
        environment=text_value(metadata.get("environment")) or "default",
        model=model,
        action=action if action in DEPLOYMENT_ACTIONS else "deploy",
        previousVersion=text_value(metadata.get("previous_version")),
        target=text_value(metadata.get("target")),
        producer=PRODUCER,
    )


def model_ref(
    key: AssetKey,
    metadata: Mapping[str, Any],
    versions: Mapping[AssetKey, tuple[str | None, int | None]],
    lookup: DagsterLookup,
) -> ModelRef | None:
    """The model an evaluation or deployment is about: the nearest upstream asset with role
    `model` (or metadata `model`, an asset key), at metadata `model_version`, else at the
    version Dagster recorded as the input."""
    model_key = lookup.nearest_upstream(key, "model") or _explicit_model(metadata)
    if model_key is None:
        return None
    recorded_version, pointer = versions.get(model_key, (None, None))
    version = text_value(metadata.get("model_version")) or recorded_version
    named = lookup.pointed_dataset(model_key, pointer)
    return ModelRef(namespace=named.namespace, name=named.name, version=version)


def _explicit_model(metadata: Mapping[str, Any]) -> AssetKey | None:
    name = text_value(metadata.get("model"))
    return AssetKey.from_user_string(name) if name else None


def float_metrics(metadata: Mapping[str, Any]) -> dict[str, float]:
    """Float metadata values as metrics (ints are counts, not metrics; NaN/inf are not JSON)."""
    return {
        name: float(value.value)
        for name, value in sorted(metadata.items())
        if isinstance(value, FloatMetadataValue) and _finite(value.value)
    }


def numeric_metrics(metadata: Mapping[str, Any]) -> dict[str, float]:
    """Int and float metadata values (a check's measured value and its threshold)."""
    return {
        name: float(value.value)
        for name, value in sorted(metadata.items())
        if isinstance(value, (FloatMetadataValue, IntMetadataValue)) and _finite(value.value)
    }


# ---------------------------------------------------------------------------------------------
# Asset check evaluations: COMPLETE of the checked asset's child run, with the check results
# ---------------------------------------------------------------------------------------------


def map_check_evaluation(record: EventLogRecord, lookup: DagsterLookup) -> event_v2.RunEvent:
    entry = record.event_log_entry
    evaluation = entry.asset_check_evaluation
    key = evaluation.asset_key
    info = lookup.run_info(entry)
    target = _check_target(evaluation, lookup)
    target_metadata = _event_metadata(target) if target else {}
    checked_version = _data_version(target) if target else None
    if lookup.role(key) in ("evaluation", "deployment"):
        # A check of an evaluation is a check of the model it evaluated.
        versions = input_versions(key, _event_tags(target), lookup) if target else {}
        metadata = {**target_metadata, **evaluation.metadata}
        model = model_ref(key, metadata, versions, lookup)
    else:
        model = None
    if model is None:
        named = lookup.asset_dataset(key, target_metadata)
        model = ModelRef(namespace=named.namespace, name=named.name, version=checked_version)
    facets = base_facets(info, entry, record.storage_id, key)
    facets["mlaudit_evaluation"] = EvaluationRunFacet(
        model=model,
        metrics=numeric_metrics(evaluation.metadata),
        checks=[check_item(entry)],
        producer=PRODUCER,
    )
    job, run_id = asset_child(info, key, record.storage_id, facets)
    return build_event(event_v2.RunState.COMPLETE, entry, job, run_id, facets)


def check_item(entry: EventLogEntry) -> dict[str, Any]:
    evaluation = entry.asset_check_evaluation
    severity = getattr(evaluation.severity, "value", evaluation.severity)
    return {
        "name": evaluation.check_name,
        "passed": bool(evaluation.passed),
        "severity": str(severity) if severity is not None else None,
        "description": evaluation.description,
    }


def _check_target(evaluation: Any, lookup: DagsterLookup) -> EventLogRecord | None:
    """The materialization the check evaluated (Dagster records its index storage id)."""
    target = evaluation.target_materialization_data
    if target is None or target.storage_id is None:
        return None
    return lookup.recorded_event(evaluation.asset_key, int(target.storage_id))


# ---------------------------------------------------------------------------------------------
# Asset observations: reads (audited IO manager), lifecycle changes (deletions), plain ones
# ---------------------------------------------------------------------------------------------


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
        job, run_id = (
            job_of(OUTSIDE_RUN_READ_JOB, "READ"),
            child_run_id("runless", str(record.storage_id)),
        )
        return [build_event(event_v2.RunState.COMPLETE, entry, job, run_id, facets, [read])]
    reader_assets = raw_value(metadata.get(reads.READER_ASSETS_KEY))
    readers = [AssetKey.from_user_string(str(k)) for k in reader_assets or []]
    events = []
    for reader in readers or [None]:
        facets = base_facets(info, entry, record.storage_id, observation.asset_key)
        if reader is not None:
            job, run_id = asset_child(info, reader, record.storage_id, facets)
        else:  # a step that produces no asset, e.g. an asset check or an op
            job, run_id = step_child(
                info, entry.step_key, observation.asset_key, record.storage_id, facets
            )
        events.append(build_event(event_v2.RunState.RUNNING, entry, job, run_id, facets, [read]))
    return events


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


# ---------------------------------------------------------------------------------------------
# Building blocks: jobs, child runs, facets, datasets, the event
# ---------------------------------------------------------------------------------------------


def job_of(name: str, job_type: str) -> event_v2.Job:
    facet = job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration="DAGSTER", jobType=job_type, producer=PRODUCER
    )
    return event_v2.Job(namespace=JOB_NAMESPACE, name=name, facets={"jobType": facet})


def child_run_id(*parts: str) -> str:
    return str(uuid.uuid5(RUN_ID_NAMESPACE, "|".join(parts)))


def asset_child(
    info: RunInfo, key: AssetKey, storage_id: int, facets: dict[str, RunFacet]
) -> tuple[event_v2.Job, str]:
    """The child run of an asset in a Dagster run (adds the `parent` facet to `facets`)."""
    job = job_of(asset_path_name(key), "ASSET")
    if not info.run_id:
        # Runless events (reported from outside any run): each event is its own run.
        return job, child_run_id("runless", str(storage_id))
    facets["parent"] = parent_facet(info)
    return job, child_run_id(info.run_id, key.to_string())


def step_child(
    info: RunInfo,
    step_key: str | None,
    key: AssetKey,
    storage_id: int,
    facets: dict[str, RunFacet],
) -> tuple[event_v2.Job, str]:
    """The child run of a step that is not an asset (an op), `<job name>.<step key>`."""
    if not info.run_id or not step_key:
        return asset_child(info, key, storage_id, facets)
    facets["parent"] = parent_facet(info)
    job = job_of(f"{info.job_name or 'unknown'}.{step_key}", "OP")
    return job, child_run_id(info.run_id, "step", step_key)


def parent_facet(info: RunInfo) -> parent_run.ParentRunFacet:
    job_name = info.job_name or "unknown"
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=info.run_id),
        job=parent_run.Job(namespace=JOB_NAMESPACE, name=job_name),
        # The Dagster run is also the root: child runs are never nested deeper.
        root=parent_run.Root(
            run=parent_run.RootRun(runId=info.run_id),
            job=parent_run.RootJob(namespace=JOB_NAMESPACE, name=job_name),
        ),
        producer=PRODUCER,
    )


def base_facets(
    info: RunInfo, entry: EventLogEntry, storage_id: int, key: AssetKey | None = None
) -> dict[str, RunFacet]:
    """Facets of every captured event: who (actor), where from (Dagster), what engine."""
    return {
        "mlaudit_actor": actor_facet(info.tags, PRODUCER),
        "mlaudit_dagster": DagsterRunFacet(
            runId=info.run_id,
            eventType=entry.dagster_event_type.name if entry.dagster_event_type else "UNKNOWN",
            jobName=info.job_name,
            storageId=storage_id,
            stepKey=entry.step_key,
            assetKey=key.to_user_string() if key is not None else None,
            tags=dict(info.tags),
            runConfig=info.run_config,
            producer=PRODUCER,
        ),
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version=dagster.__version__,
            name="Dagster",
            openlineageAdapterVersion=OPENLINEAGE_CLIENT_VERSION,
            producer=PRODUCER,
        ),
    }


def version_facet(version: str) -> dataset_version_dataset.DatasetVersionDatasetFacet:
    return dataset_version_dataset.DatasetVersionDatasetFacet(
        datasetVersion=version, producer=PRODUCER
    )


def input_dataset(named: DatasetName, version: str | None) -> event_v2.InputDataset:
    facets: dict[str, DatasetFacet] = {"version": version_facet(version)} if version else {}
    return event_v2.InputDataset(named.namespace, named.name, facets=facets)


def build_event(
    state: event_v2.RunState,
    entry: EventLogEntry,
    job: event_v2.Job,
    run_id: str,
    facets: dict[str, RunFacet],
    inputs: list[event_v2.InputDataset] | None = None,
    outputs: list[event_v2.OutputDataset] | None = None,
) -> event_v2.RunEvent:
    return event_v2.RunEvent(
        eventType=state,
        eventTime=event_time(entry.timestamp),
        producer=PRODUCER,
        run=event_v2.Run(runId=run_id, facets=facets),
        job=job,
        inputs=inputs or [],
        outputs=outputs or [],
    )


def event_time(timestamp: float) -> str:
    """The Dagster record's time, UTC, ISO 8601 with offset (never the clock of the capture)."""
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="microseconds")


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


def raw_value(value: Any) -> Any:
    """The plain value of a MetadataValue (or the value itself)."""
    return getattr(value, "value", value)


def text_value(value: Any) -> str | None:
    raw = raw_value(value)
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


def op_config(run_config: Mapping[str, Any], step_key: str | None) -> dict[str, Any]:
    """`ops.<op>.config` of a step (nested `ops` for graph-backed assets)."""
    if not step_key:
        return {}
    node: Any = {"ops": run_config.get("ops", {})}
    for part in step_key.split("[", 1)[0].split("."):
        node = (node.get("ops") or {}).get(part) if isinstance(node, dict) else None
    config = node.get("config") if isinstance(node, dict) else None
    return dict(config) if isinstance(config, dict) else {}


def json_safe(value: Any) -> Any:
    """A JSON-able copy: non-finite floats -> None, tuples -> lists, unknown objects -> str.
    (RFC 8785 canonical JSON has no NaN or Infinity.)"""
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if _finite(value) else None
    return str(value)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _event_metadata(record: EventLogRecord | None) -> Mapping[str, Any]:
    event = record.asset_event if record is not None else None
    return event.metadata if event is not None else {}


def _event_tags(record: EventLogRecord | None) -> Mapping[str, str]:
    event = record.asset_event if record is not None else None
    return (event.tags or {}) if event is not None else {}


def _data_version(record: EventLogRecord | None) -> str | None:
    return _event_tags(record).get(DATA_VERSION_TAG)
