"""A model's life: its versions (algorithm, hyperparameters, training data), metrics, deployments.

Reads are bounded: versions come a page at a time (newest first, optionally by version prefix),
evaluations are the newest `limit`, so a model retrained daily for years stays cheap to show.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from lineage.queries.graph_sql import END_OF_TIME
from lineage.queries.ml import deployments_of
from lineage.queries.resolve import resolve_dataset, resolve_version
from lineage.queries.search import like_escape
from lineage.timeutil import to_store_time

_VERSION_ROWS = """
    SELECT v.id, v.version, v.created_at, v.run_id, r.facets,
           COALESCE(a.name, pa.name) AS actor
    FROM dataset_versions v
    LEFT JOIN runs r ON r.run_id = v.run_id
    LEFT JOIN actors a ON a.id = r.actor_id
    LEFT JOIN runs p ON p.run_id = r.parent_run_id
    LEFT JOIN actors pa ON pa.id = p.actor_id
"""
VERSIONS = text(
    _VERSION_ROWS
    + """
    WHERE v.dataset_id = :dataset_id AND v.run_id IS NOT NULL
      AND v.created_at <= :as_of AND v.version LIKE :prefix ESCAPE '\\'
    ORDER BY v.created_at DESC, v.id DESC
    LIMIT :limit
    """
)
ONE_VERSION = text(_VERSION_ROWS + " WHERE v.id = :id")

TRAINING_INPUTS = text(
    """
    SELECT ri.run_id, d.namespace, d.name, iv.version
    FROM run_inputs ri
    JOIN dataset_versions iv ON iv.id = ri.version_id
    JOIN datasets d ON d.id = iv.dataset_id
    WHERE ri.run_id IN :runs
    ORDER BY d.namespace, d.name
    """
).bindparams(bindparam("runs", expanding=True))

EVALUATIONS = text(
    """
    SELECT e.event_time, v.version, e.run_id, e.metrics, e.checks
    FROM evaluations e LEFT JOIN dataset_versions v ON v.id = e.model_version_id
    WHERE e.model_dataset_id = :dataset_id
    ORDER BY e.event_time DESC, e.id DESC
    LIMIT :limit
    """
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _model(conn: Connection, model: str, namespace: str | None) -> dict[str, Any]:
    found = resolve_dataset(conn, model, namespace=namespace, kind="MODEL")
    return {k: found[k] for k in ("id", "namespace", "name", "kind", "created_at", "deleted_at")}


def model_versions(
    engine: Engine,
    model: str,
    *,
    namespace: str | None = None,
    prefix: str = "",
    as_of: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The newest `limit` produced versions (at `as_of`), with training facet and live envs."""
    bound = to_store_time(as_of) if as_of else END_OF_TIME
    with engine.connect() as conn:
        found = _model(conn, model, namespace)
        params = {
            "dataset_id": found["id"],
            "as_of": bound,
            "prefix": like_escape(prefix.strip()) + "%",
            "limit": max(1, min(limit, 500)),
        }
        rows = [dict(r._mapping) for r in conn.execute(VERSIONS, params)]
        inputs = _inputs(conn, [r["run_id"] for r in rows])
        live = _live(conn, found["id"], bound)
    versions = [_version_view(r, inputs.get(r["run_id"], []), live) for r in rows]
    return {"model": _public(found), "versions": versions}


def _public(found: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k != "id"}


def _inputs(conn: Connection, run_ids: list[str]) -> dict[str, list[str]]:
    """Training data: what each producing run read, as `namespace/name@version`."""
    found: dict[str, list[str]] = {}
    if run_ids:
        for r in conn.execute(TRAINING_INPUTS, {"runs": run_ids}):
            found.setdefault(r.run_id, []).append(f"{r.namespace}/{r.name}@{r.version or '-'}")
    return found


def _live(conn: Connection, dataset_id: int, as_of: str) -> dict[str, list[str]]:
    live: dict[str, list[str]] = {}
    for d in deployments_of(conn, dataset_id, as_of):
        if d["valid_to"] is None and d["action"] != "retire":
            live.setdefault(d["version"], []).append(d["environment"])
    return live


def _version_view(
    row: dict[str, Any], inputs: list[str], live: dict[str, list[str]]
) -> dict[str, Any]:
    training = (_json(row["facets"]) or {}).get("mlaudit_training") or {}
    return {
        "version": row["version"],
        "created_at": row["created_at"],
        "run_id": row["run_id"],
        "actor": row["actor"],
        "algorithm": training.get("algorithm"),
        "architecture": training.get("architecture"),
        "framework": training.get("framework"),
        "hyperparameters": training.get("hyperparameters") or {},
        "training_data": inputs,
        "live_in": sorted(live.get(row["version"], [])),
    }


def version_profile(
    engine: Engine, model: str, version: str, *, namespace: str | None = None
) -> dict[str, Any]:
    """One version's training setup and training data, for side-by-side comparison."""
    with engine.connect() as conn:
        found = _model(conn, model, namespace)
        row = resolve_version(conn, found, version, None)
        full = dict(conn.execute(ONE_VERSION, {"id": row["id"]}).one()._mapping)
        inputs = _inputs(conn, [row["run_id"]] if row["run_id"] else [])
        live = _live(conn, found["id"], END_OF_TIME)
    return _version_view(full, inputs.get(row["run_id"], []), live)


def compare_versions(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows `aspect, a, b, changed` for two version profiles: setup, hyperparameters, data."""
    rows = [
        _row(name, a.get(name), b.get(name))
        for name in ("algorithm", "architecture", "framework", "created_at", "actor")
    ]
    params = sorted(set(a.get("hyperparameters", {})) | set(b.get("hyperparameters", {})))
    rows += [
        _row(f"hyperparameter {p}", a["hyperparameters"].get(p), b["hyperparameters"].get(p))
        for p in params
    ]
    rows += _data_rows(a.get("training_data", []), b.get("training_data", []))
    return rows


def _data_rows(a: list[str], b: list[str]) -> list[dict[str, Any]]:
    """Training inputs lined up by dataset, so a new version of the same data reads as a change."""
    by_name_a = {item.rsplit("@", 1)[0]: item for item in a}
    by_name_b = {item.rsplit("@", 1)[0]: item for item in b}
    return [
        _row(f"training data {name}", by_name_a.get(name), by_name_b.get(name))
        for name in sorted(set(by_name_a) | set(by_name_b))
    ]


def _row(aspect: str, a: Any, b: Any) -> dict[str, Any]:
    return {"aspect": aspect, "a": _text(a), "b": _text(b), "changed": a != b}


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def metrics_over_time(
    engine: Engine, model: str, *, namespace: str | None = None, limit: int = 2000
) -> dict[str, Any]:
    """The newest `limit` evaluations of every version, oldest first, one row per metric."""
    with engine.connect() as conn:
        found = _model(conn, model, namespace)
        rows = list(conn.execute(EVALUATIONS, {"dataset_id": found["id"], "limit": limit}))
    points, checks, seen = [], [], set()
    for r in reversed(rows):
        for metric, value in sorted((_json(r.metrics) or {}).items()):
            # Asset checks repeat the metric they test: one point per run and metric.
            if (r.run_id, metric) in seen or metric == "threshold":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                seen.add((r.run_id, metric))
                points.append(
                    {"time": r.event_time, "version": r.version, "metric": metric, "value": value}
                )
        for check in _json(r.checks) or []:
            checks.append({"time": r.event_time, "version": r.version, "run_id": r.run_id, **check})
    return {"points": points, "checks": checks, "truncated": len(rows) == limit}


def deployment_history(
    engine: Engine, model: str, *, namespace: str | None = None
) -> list[dict[str, Any]]:
    """Which version served in which environment when: deploys, updates, rollbacks, retirements."""
    with engine.connect() as conn:
        found = _model(conn, model, namespace)
        return deployments_of(conn, found["id"], END_OF_TIME)
