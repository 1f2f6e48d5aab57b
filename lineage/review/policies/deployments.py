"""Deployments started in the review window, and the evaluations of the versions they involve.

A deployment "started" at its run's START when the log has one, else at the deployment event:
an evaluation counts for it only if the log recorded it by then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lineage.review.context import ReviewContext
from lineage.review.policies.rows import as_json, expanding, fetch, ids, label, window
from lineage.review.policies.rule import matches

DEPLOYING = ("deploy", "update", "rollback")

DEPLOYMENTS = expanding(
    """
    SELECT dep.seq, dep.run_id, dep.environment, dep.action, dep.previous_version,
           dep.valid_from, dep.model_dataset_id, dep.model_version_id,
           d.namespace, d.name, v.version, pv.id AS previous_version_id,
           CASE WHEN r.started_at IS NOT NULL AND r.started_at < dep.valid_from
                THEN r.started_at ELSE dep.valid_from END AS started_at,
           a.name AS actor, a.kind AS actor_kind
    FROM deployments dep
    JOIN datasets d ON d.id = dep.model_dataset_id
    LEFT JOIN dataset_versions v ON v.id = dep.model_version_id
    LEFT JOIN dataset_versions pv
           ON pv.dataset_id = dep.model_dataset_id AND pv.version = dep.previous_version
    LEFT JOIN runs r ON r.run_id = dep.run_id
    LEFT JOIN actors a ON a.id = dep.actor_id
    WHERE dep.valid_from >= :since AND dep.valid_from <= :until AND dep.action IN :actions
    ORDER BY dep.valid_from, dep.seq
    """,
    "actions",
)

EVALUATIONS = expanding(
    """
    SELECT e.seq, e.run_id, e.model_version_id, e.metrics, e.checks, e.event_time
    FROM evaluations e
    WHERE e.model_version_id IN :versions AND e.event_time <= :until
    ORDER BY e.event_time, e.seq
    """,
    "versions",
)


def deployments(ctx: ReviewContext, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Deployments in the window with an action in `settings["actions"]` (default: all that
    put a version live), of the models and environments the settings scope the rule to."""
    actions = list(settings.get("actions", DEPLOYING))
    rows = fetch(ctx, DEPLOYMENTS, actions=actions, **window(ctx))
    for row in rows:
        row["model"] = label(row["namespace"], row["name"])
        row["version"] = row["version"] or ""
    return [
        row
        for row in rows
        if matches(row["model"], settings.get("models", ("*",)))
        and matches(row["environment"], settings.get("environments", ("*",)))
    ]


def evaluations(ctx: ReviewContext, version_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Evaluation rows recorded by the window's end, per model version id, oldest first."""
    found: dict[int, list[dict[str, Any]]] = {version: [] for version in version_ids}
    for row in fetch(ctx, EVALUATIONS, versions=version_ids, until=ctx.window.until):
        row["metrics"] = as_json(row["metrics"]) or {}
        row["checks"] = as_json(row["checks"]) or []
        found[row["model_version_id"]].append(row)
    return found


def deployment_evaluations(
    ctx: ReviewContext, rows: list[dict[str, Any]], *, previous: bool = False
) -> dict[int, list[dict[str, Any]]]:
    """Evaluations of the deployed versions (and of the versions they replaced)."""
    versions = ids(rows, "model_version_id")
    if previous:
        versions = sorted({*versions, *ids(rows, "previous_version_id")})
    return evaluations(ctx, versions)


def deployment_evidence(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "run_id": row["run_id"],
        "seq": row["seq"],
        "model": row["model"],
        "version": row["version"],
        "environment": row["environment"],
        "action": row["action"],
        "started_at": row["started_at"],
    }


def subject(row: Mapping[str, Any]) -> str:
    return f"deployment:{row['run_id']}"
