"""The details behind one node of a lineage graph: a dataset version or a run, with its facets."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

from lineage.errors import NotFoundError
from lineage.queries.nodes import load_runs
from lineage.queries.resolve import resolve_dataset

VERSION = text(
    """
    SELECT v.id, v.version, v.created_at, v.run_id, v.seq, v.facets AS version_facets
    FROM dataset_versions v
    WHERE v.dataset_id = :dataset_id AND v.version = :version
    """
)

RUN_DATA = text(
    """
    SELECT 'input' AS direction, d.namespace, d.name, v.version, x.event_time
    FROM run_inputs x JOIN dataset_versions v ON v.id = x.version_id
    JOIN datasets d ON d.id = v.dataset_id WHERE x.run_id = :run_id
    UNION ALL
    SELECT 'output', d.namespace, d.name, v.version, x.event_time
    FROM run_outputs x JOIN dataset_versions v ON v.id = x.version_id
    JOIN datasets d ON d.id = v.dataset_id WHERE x.run_id = :run_id
    ORDER BY 1, 2, 3
    """
)

RUN_ENTRIES = text(
    "SELECT seq, event_time, event_type FROM audit_log WHERE run_id = :run_id "
    "ORDER BY seq LIMIT 200"
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


def version_details(
    engine: Engine, namespace: str, name: str, version: str | None
) -> dict[str, Any]:
    """A dataset (or model) version: its dataset's facets and the version's own."""
    with engine.connect() as conn:
        dataset = resolve_dataset(conn, name, namespace=namespace)
        row = conn.execute(VERSION, {"dataset_id": dataset["id"], "version": version or ""}).first()
    if row is None:
        raise NotFoundError(f"{namespace}/{name} has no version {version!r}")
    return {
        "namespace": namespace,
        "name": name,
        "kind": dataset["kind"],
        "version": row.version or None,
        "created_at": row.created_at,
        "deleted_at": dataset["deleted_at"],
        "produced_by": row.run_id,
        "seq": row.seq,
        "dataset_facets": _json(dataset["facets"]),
        "version_facets": _json(row.version_facets),
    }


def run_details(engine: Engine, run_id: str) -> dict[str, Any]:
    """A run: job, state, times, actor, every facet, what it read and wrote, its log entries."""
    with engine.connect() as conn:
        runs = load_runs(conn, [run_id])
        if not runs:
            raise NotFoundError(f"no run {run_id!r} in the audit log")
        data = [dict(r._mapping) for r in conn.execute(RUN_DATA, {"run_id": run_id})]
        entries = [dict(r._mapping) for r in conn.execute(RUN_ENTRIES, {"run_id": run_id})]
    run = runs[0]
    facets = run["facets"]
    return {
        "run_id": run["run_id"],
        "job": run["job"],
        "state": run["state"],
        "started_at": run["started_at"],
        "ended_at": run["ended_at"],
        "parent_run_id": run["parent_run_id"],
        "actor": run["actor"],
        "actor_kind": run["actor_kind"],
        "training": _strip(facets.get("mlaudit_training")),
        "evaluation": _strip(facets.get("mlaudit_evaluation")),
        "deployment": _strip(facets.get("mlaudit_deployment")),
        "facets": facets,
        "inputs": [d for d in data if d["direction"] == "input"],
        "outputs": [d for d in data if d["direction"] == "output"],
        "entries": entries,
    }


def _strip(facet: dict[str, Any] | None) -> dict[str, Any] | None:
    """A facet without its `_producer`/`_schemaURL` bookkeeping, for people to read."""
    if not facet:
        return None
    return {k: v for k, v in facet.items() if not k.startswith("_")}
