"""Run facets of an asset's role (asset tag `ml/role`): training of a `model`, the results of an
`evaluation`, the rollout of a `deployment`; and what they share: the model they are about, the
metrics and check results read from Dagster metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import (
    AssetKey,
    EventLogEntry,
    EventLogRecord,
    FloatMetadataValue,
    IntMetadataValue,
)
from openlineage.client.facet_v2 import RunFacet

from audit_pipelines.capture.building import PRODUCER
from audit_pipelines.capture.lookup import DagsterLookup, RunInfo
from audit_pipelines.capture.provenance import InputVersion
from audit_pipelines.capture.values import finite, json_safe, raw_value, text_value
from lineage.facets import DeploymentRunFacet, EvaluationRunFacet, ModelRef, TrainingRunFacet

DEPLOYMENT_ACTIONS = frozenset({"deploy", "update", "rollback", "retire"})


def role_run_facets(
    role: str | None,
    key: AssetKey,
    record: EventLogRecord,
    info: RunInfo,
    versions: Mapping[AssetKey, InputVersion],
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
    versions: Mapping[AssetKey, InputVersion],
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
    versions: Mapping[AssetKey, InputVersion],
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
    versions: Mapping[AssetKey, InputVersion],
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


def check_item(entry: EventLogEntry) -> dict[str, Any]:
    """One asset check evaluation as an item of the evaluation facet's `checks`."""
    evaluation = entry.asset_check_evaluation
    severity = getattr(evaluation.severity, "value", evaluation.severity)
    return {
        "name": evaluation.check_name,
        "passed": bool(evaluation.passed),
        "severity": str(severity) if severity is not None else None,
        "description": evaluation.description,
    }


def float_metrics(metadata: Mapping[str, Any]) -> dict[str, float]:
    """Float metadata values as metrics (ints are counts, not metrics; NaN/inf are not JSON)."""
    return {
        name: float(value.value)
        for name, value in sorted(metadata.items())
        if isinstance(value, FloatMetadataValue) and finite(value.value)
    }


def numeric_metrics(metadata: Mapping[str, Any]) -> dict[str, float]:
    """Int and float metadata values (a check's measured value and its threshold)."""
    return {
        name: float(value.value)
        for name, value in sorted(metadata.items())
        if isinstance(value, (FloatMetadataValue, IntMetadataValue)) and finite(value.value)
    }


def op_config(run_config: Mapping[str, Any], step_key: str | None) -> dict[str, Any]:
    """`ops.<op>.config` of a step (nested `ops` for graph-backed assets)."""
    if not step_key:
        return {}
    node: Any = {"ops": run_config.get("ops", {})}
    for part in step_key.split("[", 1)[0].split("."):
        node = (node.get("ops") or {}).get(part) if isinstance(node, dict) else None
    config = node.get("config") if isinstance(node, dict) else None
    return dict(config) if isinstance(config, dict) else {}
