"""What happened in a period: entries by category, new model versions, evaluations, deployments.

Every figure is read from the projections by event time within [since, until] (store time text,
both ends included). Who did something is the actor of the run, or of its parent run (a Dagster
step run inherits who launched the Dagster run): a pseudonym for people, never a name.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, bindparam, text

from lineage.category_hours import counts_between
from lineage.queries.nodes import chunked_rows

Period = dict[str, str]

ENTRY_SPAN = text(
    """
    SELECT COUNT(*) AS entries, MIN(seq) AS first_seq, MAX(seq) AS last_seq
    FROM audit_log WHERE event_time >= :since AND event_time <= :until
    """
)
# The actor of a run, else of its parent run.
_RUN_ACTOR = """
    LEFT JOIN runs r ON r.run_id = {run}
    LEFT JOIN actors a ON a.id = r.actor_id
    LEFT JOIN runs p ON p.run_id = r.parent_run_id
    LEFT JOIN actors pa ON pa.id = p.actor_id
    LEFT JOIN jobs j ON j.id = r.job_id
"""
NEW_VERSIONS = text(
    """
    SELECT d.namespace, d.name, v.version, v.created_at, v.run_id, r.facets,
           j.namespace AS job_namespace, j.name AS job_name, COALESCE(a.name, pa.name) AS actor
    FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
    """
    + _RUN_ACTOR.format(run="v.run_id")
    + """
    WHERE d.kind = 'MODEL' AND v.run_id IS NOT NULL
      AND v.created_at >= :since AND v.created_at <= :until
    ORDER BY v.created_at, d.namespace, d.name, v.version
    """
)
RUN_INPUTS = text(
    """
    SELECT ri.run_id, d.namespace, d.name, d.kind, iv.version
    FROM run_inputs ri
    JOIN dataset_versions iv ON iv.id = ri.version_id
    JOIN datasets d ON d.id = iv.dataset_id
    WHERE ri.run_id IN :ids
    ORDER BY d.namespace, d.name, iv.version
    """
).bindparams(bindparam("ids", expanding=True))
EVALUATIONS = text(
    """
    SELECT d.namespace, d.name, v.version, e.run_id, e.event_time, e.metrics, e.checks,
           COALESCE(a.name, pa.name) AS actor
    FROM evaluations e JOIN datasets d ON d.id = e.model_dataset_id
    LEFT JOIN dataset_versions v ON v.id = e.model_version_id
    """
    + _RUN_ACTOR.format(run="e.run_id")
    + """
    WHERE e.event_time >= :since AND e.event_time <= :until
    ORDER BY e.event_time, e.id
    """
)
_DEPLOYMENT_ROWS = """
    SELECT dp.environment, d.namespace, d.name, v.version, dp.action, dp.previous_version,
           dp.valid_from, dp.valid_to, dp.run_id, a.name AS actor
    FROM deployments dp JOIN datasets d ON d.id = dp.model_dataset_id
    LEFT JOIN dataset_versions v ON v.id = dp.model_version_id
    LEFT JOIN actors a ON a.id = dp.actor_id
"""
DEPLOYMENTS = text(
    _DEPLOYMENT_ROWS
    + " WHERE dp.valid_from >= :since AND dp.valid_from <= :until ORDER BY dp.valid_from, dp.seq"
)
# Intervals overlapping the period: the model served during (part of) it.
IN_USE = text(
    _DEPLOYMENT_ROWS
    + """
    WHERE dp.valid_from <= :until AND (dp.valid_to IS NULL OR dp.valid_to > :since)
      AND dp.action <> 'retire'
    ORDER BY d.namespace, d.name, dp.environment, dp.valid_from, dp.seq
    """
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def model_label(row: dict[str, Any]) -> str:
    return f"{row['namespace']}/{row['name']}"


def activity(conn: Connection, period: Period) -> dict[str, Any]:
    span = conn.execute(ENTRY_SPAN, period).one()
    # Summed from the hourly counts the append keeps: exactly the log's, without counting it.
    counts = counts_between(conn, period["since"], period["until"], width=0)
    return {
        "entries": span.entries,
        "first_seq": span.first_seq,
        "last_seq": span.last_seq,
        "by_category": {category: n for (_, category), n in sorted(counts.items())},
    }


def run_inputs(conn: Connection, run_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """What each run read: datasets and model versions, by run id."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in chunked_rows(conn, RUN_INPUTS, sorted(set(run_ids))):
        found.setdefault(row.pop("run_id"), []).append(row)
    return found


def new_models(conn: Connection, period: Period) -> list[dict[str, Any]]:
    """Model versions produced in the period, with their training run, setup and data."""
    rows = [dict(r._mapping) for r in conn.execute(NEW_VERSIONS, period)]
    inputs = run_inputs(conn, [r["run_id"] for r in rows])
    return [_new_model(row, inputs.get(row["run_id"], [])) for row in rows]


def _new_model(row: dict[str, Any], inputs: list[dict[str, Any]]) -> dict[str, Any]:
    training = (_json(row["facets"]) or {}).get("mlaudit_training") or {}
    return {
        "model": model_label(row),
        "version": row["version"],
        "created_at": row["created_at"],
        "training_run": {
            "run_id": row["run_id"],
            "job": f"{row['job_namespace']}/{row['job_name']}" if row["job_name"] else None,
            "by": row["actor"],
            "algorithm": training.get("algorithm"),
            "hyperparameters": training.get("hyperparameters") or {},
        },
        "training_data": [_data_label(i) for i in inputs if i["kind"] != "MODEL"],
    }


def _data_label(row: dict[str, Any]) -> str:
    return f"{row['namespace']}/{row['name']}@{row['version'] or '-'}"


def evaluations(conn: Connection, period: Period) -> list[dict[str, Any]]:
    """Evaluations run in the period: metrics, each check's outcome, who ran them, on what data."""
    rows = [dict(r._mapping) for r in conn.execute(EVALUATIONS, period)]
    inputs = run_inputs(conn, [r["run_id"] for r in rows])
    found = []
    for row in rows:
        checks = _json(row["checks"]) or []
        found.append(
            {
                "model": model_label(row),
                "version": row["version"],
                "run_id": row["run_id"],
                "event_time": row["event_time"],
                "by": row["actor"],
                "metrics": _json(row["metrics"]) or {},
                "checks": [{"name": c.get("name"), "passed": c.get("passed")} for c in checks],
                "data": [_data_label(i) for i in inputs.get(row["run_id"], [])],
            }
        )
    return found


def deployments(conn: Connection, period: Period) -> list[dict[str, Any]]:
    """Deployment actions taken in the period (deploy, update, rollback, retire)."""
    return [_deployment(dict(r._mapping)) for r in conn.execute(DEPLOYMENTS, period)]


def periods_of_use(conn: Connection, period: Period) -> list[dict[str, Any]]:
    """Each interval a model version served during the period, clipped to the period."""
    found = []
    for row in conn.execute(IN_USE, period):
        item = _deployment(dict(row._mapping))
        item["in_period_from"] = max(row.valid_from, period["since"])
        item["in_period_to"] = min(row.valid_to or period["until"], period["until"])
        found.append(item)
    return found


def _deployment(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "environment": row["environment"],
        "model": model_label(row),
        "version": row["version"],
        "action": row["action"],
        "previous_version": row["previous_version"],
        "valid_from": row["valid_from"],
        "valid_to": row["valid_to"],
        "run_id": row["run_id"],
        "by": row["actor"],
    }
