"""Evaluations and deployments: the ML-specific projections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from lineage.models import Deployment, Evaluation

if TYPE_CHECKING:
    from projection_reference.projector import Projector


def _model_node(projector: Projector, ref: dict[str, Any], when: str) -> tuple[int, int]:
    model_ref = {**ref, "facets": {"datasetType": {"datasetType": "MODEL"}}}
    dataset_id = projector.dataset(model_ref, when)
    return dataset_id, projector.version_id(dataset_id, ref.get("version"), when)


def project_evaluation(
    projector: Projector, seq: int, run_id: str, facet: dict[str, Any], when: str
) -> None:
    dataset_id, version_id = _model_node(projector, facet["model"], when)
    values = {
        "seq": seq,
        "run_id": run_id,
        "model_dataset_id": dataset_id,
        "model_version_id": version_id,
        "metrics": facet.get("metrics") or {},
        "checks": facet.get("checks") or [],
        "event_time": when,
    }
    projector.conn.execute(insert(Evaluation.__table__).values(**values))


def project_deployment(
    projector: Projector,
    seq: int,
    run_id: str,
    facet: dict[str, Any],
    when: str,
    actor_id: int | None,
) -> None:
    dataset_id, version_id = _model_node(projector, facet["model"], when)
    values = {
        "seq": seq,
        "run_id": run_id,
        "environment": facet["environment"],
        "model_dataset_id": dataset_id,
        "model_version_id": version_id,
        "action": facet.get("action", "deploy"),
        "previous_version": facet.get("previousVersion"),
        "target": facet.get("target"),
        "valid_from": when,
        "actor_id": actor_id,
    }
    projector.conn.execute(insert(Deployment.__table__).values(**values))
    _recompute_intervals(projector, dataset_id, facet["environment"])


def _recompute_intervals(projector: Projector, dataset_id: int, environment: str) -> None:
    """Each deployment serves until the next one in its environment: order-independent."""
    table = Deployment.__table__
    rows = projector.conn.execute(
        select(table.c.id, table.c.valid_from, table.c.valid_to, table.c.action)
        .where(table.c.model_dataset_id == dataset_id, table.c.environment == environment)
        .order_by(table.c.valid_from, table.c.seq)
    ).all()
    for current, following in zip(rows, [*rows[1:], None], strict=True):
        valid_to = following.valid_from if following else None
        if current.action == "retire":
            valid_to = current.valid_from
        if current.valid_to != valid_to:
            projector.conn.execute(
                update(table).where(table.c.id == current.id).values(valid_to=valid_to)
            )
