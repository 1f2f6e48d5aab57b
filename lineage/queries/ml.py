"""Evaluations and deployments of a model, for traces and timelines."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

EVALUATIONS = text(
    """
    SELECT e.run_id, e.metrics, e.checks, e.event_time, v.version
    FROM evaluations e LEFT JOIN dataset_versions v ON v.id = e.model_version_id
    WHERE e.model_version_id = :version_id AND e.event_time <= :as_of
    ORDER BY e.event_time, e.id
    """
)

DEPLOYMENTS = text(
    """
    SELECT dp.environment, v.version, dp.action, dp.previous_version, dp.target, dp.valid_from,
           dp.valid_to, dp.run_id, a.name AS actor, a.kind AS actor_kind
    FROM deployments dp
    LEFT JOIN dataset_versions v ON v.id = dp.model_version_id
    LEFT JOIN actors a ON a.id = dp.actor_id
    WHERE dp.model_dataset_id = :dataset_id AND dp.valid_from <= :as_of
    ORDER BY dp.valid_from, dp.seq
    """
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def evaluations_of(conn: Connection, version_id: int, as_of: str) -> list[dict[str, Any]]:
    rows = conn.execute(EVALUATIONS, {"version_id": version_id, "as_of": as_of})
    return [{**r._mapping, "metrics": _json(r.metrics), "checks": _json(r.checks)} for r in rows]


def deployments_of(conn: Connection, dataset_id: int, as_of: str) -> list[dict[str, Any]]:
    """Deployment intervals as known at `as_of` (one still open then shows open)."""
    rows = [
        dict(r._mapping)
        for r in conn.execute(DEPLOYMENTS, {"dataset_id": dataset_id, "as_of": as_of})
    ]
    for row in rows:
        if row["valid_to"] and row["valid_to"] > as_of:
            row["valid_to"] = None
    return rows


def live_of(deployments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Which version served in each environment at `as_of`, from deployments_of(..., as_of)."""
    return [d for d in deployments if d["valid_to"] is None and d["action"] != "retire"]
