"""Asset check evaluations: OTHER of the checked asset's child run, carrying the check result as
an evaluation of the model (or dataset version) that was checked.

OTHER, not COMPLETE: a check does not end the child run (the materialization's COMPLETE does),
and in OpenLineage 2-0-2 a run has one terminal event; events that change no state are OTHER."""

from __future__ import annotations

from typing import Any

from dagster import EventLogRecord
from openlineage.client import event_v2

from audit_pipelines.capture.building import PRODUCER, asset_child, base_facets, build_event
from audit_pipelines.capture.lookup import DagsterLookup
from audit_pipelines.capture.provenance import data_version, input_versions
from audit_pipelines.capture.roles import check_item, model_ref, numeric_metrics
from audit_pipelines.capture.values import event_metadata, event_tags
from lineage.facets import EvaluationRunFacet, ModelRef


def map_check_evaluation(record: EventLogRecord, lookup: DagsterLookup) -> event_v2.RunEvent:
    entry = record.event_log_entry
    evaluation = entry.asset_check_evaluation
    key = evaluation.asset_key
    info = lookup.run_info(entry)
    facets = base_facets(info, entry, record.storage_id, key)
    facets["mlaudit_evaluation"] = EvaluationRunFacet(
        model=_checked_model(evaluation, lookup),
        metrics=numeric_metrics(evaluation.metadata),
        checks=[check_item(entry)],
        producer=PRODUCER,
    )
    job, run_id = asset_child(info, key, record.storage_id, facets)
    return build_event(event_v2.RunState.OTHER, entry, job, run_id, facets)


def _checked_model(evaluation: Any, lookup: DagsterLookup) -> ModelRef:
    """What the check judged: for a check of an evaluation or deployment, the model it is about
    (a check of an evaluation is a check of the model it evaluated); else the checked asset at
    the version the check evaluated."""
    key = evaluation.asset_key
    target = _check_target(evaluation, lookup)
    target_metadata = event_metadata(target) if target else {}
    if lookup.role(key) in ("evaluation", "deployment"):
        versions = input_versions(key, event_tags(target), lookup) if target else {}
        model = model_ref(key, {**target_metadata, **evaluation.metadata}, versions, lookup)
        if model is not None:
            return model
    named = lookup.asset_dataset(key, target_metadata)
    version = data_version(target) if target else None
    return ModelRef(namespace=named.namespace, name=named.name, version=version)


def _check_target(evaluation: Any, lookup: DagsterLookup) -> EventLogRecord | None:
    """The materialization the check evaluated (Dagster records its index storage id)."""
    target = evaluation.target_materialization_data
    if target is None or target.storage_id is None:
        return None
    return lookup.recorded_event(evaluation.asset_key, int(target.storage_id))
