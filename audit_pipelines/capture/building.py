"""The parts every mapped event is built from: jobs, run ids of child runs, the `parent` facet,
the facets every event carries, dataset references, and the RunEvent itself.

A Dagster run is an OpenLineage run of the job `dagster/<job name>` whose run id is Dagster's.
Each asset touched in a run is a child job run (job `dagster/<asset key path>`, run id = UUIDv5 of
the Dagster run id and the asset key, `parent` -> the Dagster run), as the Airflow integration does
for tasks. A step that is not an asset (an op job's op) is the child job `<job name>.<step key>`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import dagster
from dagster import AssetKey, EventLogEntry
from openlineage.client import event_v2
from openlineage.client.constants import __version__ as OPENLINEAGE_CLIENT_VERSION
from openlineage.client.facet_v2 import (
    DatasetFacet,
    RunFacet,
    dataset_version_dataset,
    job_type_job,
    parent_run,
    processing_engine_run,
)

from audit_pipelines.capture.actor import actor_facet
from audit_pipelines.capture.lookup import RunInfo
from audit_pipelines.capture.naming import DatasetName, asset_path_name
from lineage.facets import DagsterRunFacet

PRODUCER = "https://github.com/mlaudit/mlaudit/audit_pipelines"
JOB_NAMESPACE = "dagster"
# Child run ids are UUIDv5 in this namespace: stable across replays, distinct per producer.
RUN_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PRODUCER)


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
