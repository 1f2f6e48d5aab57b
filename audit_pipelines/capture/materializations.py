"""Asset materializations: COMPLETE of the asset's child run, with the upstream versions it read
as inputs, the version it wrote as the output, and the facets of the asset's role."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import AssetKey, EventLogRecord
from openlineage.client import event_v2
from openlineage.client.facet_v2 import DatasetFacet, dataset_type_dataset, tags_dataset

from audit_pipelines.capture.building import (
    PRODUCER,
    asset_child,
    base_facets,
    build_event,
    input_dataset,
    version_facet,
)
from audit_pipelines.capture.lookup import DagsterLookup
from audit_pipelines.capture.provenance import DATA_VERSION_TAG, InputVersion, input_versions
from audit_pipelines.capture.roles import role_run_facets


def map_materialization(record: EventLogRecord, lookup: DagsterLookup) -> event_v2.RunEvent:
    entry = record.event_log_entry
    key = entry.asset_materialization.asset_key
    info = lookup.run_info(entry)
    role = lookup.role(key)
    tags = entry.asset_materialization.tags or {}  # None on materializations logged by user code
    versions = input_versions(key, tags, lookup)
    facets = base_facets(info, entry, record.storage_id, key)
    role_facets, model_input = role_run_facets(role, key, record, info, versions, lookup)
    facets.update(role_facets)
    if model_input is not None:
        versions = _with_deployed_model(versions, *model_input)
    inputs = [
        input_dataset(lookup.pointed_dataset(up, pointer), version)
        for up, (version, pointer) in sorted(versions.items(), key=lambda kv: kv[0].to_string())
    ]
    output = _output(record, role, lookup)
    job, run_id = asset_child(info, key, record.storage_id, facets)
    return build_event(event_v2.RunState.COMPLETE, entry, job, run_id, facets, inputs, [output])


def _with_deployed_model(
    versions: Mapping[AssetKey, InputVersion], model_key: AssetKey, deployed: str
) -> dict[AssetKey, InputVersion]:
    """A deployment's input is the model version it deployed (a rollback deploys an older one);
    the recorded upstream event still names it when it is that version."""
    recorded, pointer = versions.get(model_key, (None, None))
    return {**versions, model_key: (deployed, pointer if recorded == deployed else None)}


def _output(
    record: EventLogRecord, role: str | None, lookup: DagsterLookup
) -> event_v2.OutputDataset:
    """The dataset version the materialization wrote."""
    materialization = record.event_log_entry.asset_materialization
    tags = materialization.tags or {}
    # Without a data version (user-logged materializations) the storage id identifies the version.
    version = tags.get(DATA_VERSION_TAG) or str(record.storage_id)
    dataset_facets: dict[str, DatasetFacet] = {"version": version_facet(version)}
    if role == "model":
        dataset_facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(
            datasetType="MODEL", producer=PRODUCER
        )
    declared = lookup.asset_tags(materialization.asset_key)
    if declared:
        # Sensitivity is declared where the asset is defined; reviews read it from this facet.
        dataset_facets["tags"] = tags_dataset.TagsDatasetFacet(
            tags=[
                tags_dataset.TagsDatasetFacetFields(key=k, value=v, source="DAGSTER")
                for k, v in declared.items()
            ],
            producer=PRODUCER,
        )
    named = lookup.asset_dataset(materialization.asset_key, materialization.metadata)
    return event_v2.OutputDataset(named.namespace, named.name, facets=dataset_facets)
