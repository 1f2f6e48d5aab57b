"""Evaluations and deployments: the ML-specific projections."""

from __future__ import annotations

from typing import Any

from lineage.projection.plan import DatasetRef, EventPlan
from lineage.projection.state import BatchState


def _model_node(state: BatchState, ref: DatasetRef, when: str) -> tuple[int, int]:
    dataset_id = state.datasets[ref.key]
    state.set_dataset(dataset_id, kind="MODEL")
    return dataset_id, state.versions.node(dataset_id, ref.version, when)


def apply_evaluation(state: BatchState, plan: EventPlan) -> None:
    assert plan.evaluation is not None
    ref, facet = plan.evaluation
    dataset_id, version_id = _model_node(state, ref, plan.when)
    metrics, checks = facet.get("metrics") or {}, facet.get("checks") or []
    row = (plan.seq, plan.run_id, dataset_id, version_id, metrics, checks, plan.when)
    state.evaluations.append(row)


def apply_deployment(state: BatchState, plan: EventPlan, actor_id: int | None) -> None:
    assert plan.deployment is not None
    ref, facet = plan.deployment
    dataset_id, version_id = _model_node(state, ref, plan.when)
    state.deployments.append(
        {
            "id": None,
            "seq": plan.seq,
            "run_id": plan.run_id,
            "environment": facet["environment"],
            "model_dataset_id": dataset_id,
            "model_version_id": version_id,
            "action": facet.get("action", "deploy"),
            "previous_version": facet.get("previousVersion"),
            "target": facet.get("target"),
            "valid_from": plan.when,
            "valid_to": None,
            "actor_id": actor_id,
        }
    )


def recompute_intervals(state: BatchState) -> list[tuple[str | None, int]]:
    """Each deployment serves until the next one in its (model, environment), whatever the
    arrival order: sets `valid_to` of the new rows and returns (valid_to, id) of stored rows
    that change."""
    touched = {(d["model_dataset_id"], d["environment"]) for d in state.deployments}
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {pair: [] for pair in touched}
    for row in [*state.stored_deployments, *state.deployments]:
        group = groups.get((row["model_dataset_id"], row["environment"]))
        if group is not None:
            group.append(row)
    changes: list[tuple[str | None, int]] = []
    for rows in groups.values():
        rows.sort(key=lambda row: (row["valid_from"], row["seq"]))
        for current, following in zip(rows, [*rows[1:], None], strict=True):
            valid_to = following["valid_from"] if following else None
            if current["action"] == "retire":
                valid_to = current["valid_from"]
            if current["id"] is None:
                current["valid_to"] = valid_to
            elif current["valid_to"] != valid_to:
                changes.append((valid_to, current["id"]))
    return changes
