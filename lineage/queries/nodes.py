"""Load the rows behind a set of graph nodes: versions, runs, edges, actors."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, text

CHUNK = 900  # below SQLite's bound-parameter limit

VERSIONS = text(
    """
    SELECT v.id, v.version, v.created_at, v.run_id, d.id AS dataset_id, d.namespace, d.name,
           d.kind, d.deleted_at
    FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
    WHERE v.id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))

RUNS = text(
    """
    SELECT r.run_id, j.namespace AS job_namespace, j.name AS job_name, r.state, r.started_at,
           r.ended_at, r.last_event_time, r.parent_run_id, r.facets,
           COALESCE(a.name, pa.name) AS actor, COALESCE(a.kind, pa.kind) AS actor_kind
    FROM runs r
    JOIN jobs j ON j.id = r.job_id
    LEFT JOIN actors a ON a.id = r.actor_id
    LEFT JOIN runs p ON p.run_id = r.parent_run_id
    LEFT JOIN actors pa ON pa.id = p.actor_id
    WHERE r.run_id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))

INPUTS_OF_RUNS = text(
    "SELECT run_id, version_id FROM run_inputs WHERE run_id IN :ids AND event_time <= :as_of"
).bindparams(bindparam("ids", expanding=True))

OUTPUT_RUNS_OF_VERSIONS = text(
    "SELECT run_id, version_id FROM run_outputs WHERE version_id IN :ids AND event_time <= :as_of"
).bindparams(bindparam("ids", expanding=True))


def chunked_rows(
    conn: Connection, query: Any, ids: Iterable[Any], **params: Any
) -> list[dict[str, Any]]:
    wanted = list(ids)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(wanted), CHUNK):
        result = conn.execute(query, {"ids": wanted[start : start + CHUNK], **params})
        rows.extend(dict(r._mapping) for r in result)
    return rows


def load_runs(conn: Connection, run_ids: Iterable[str]) -> list[dict[str, Any]]:
    runs = chunked_rows(conn, RUNS, run_ids)
    for run in runs:
        facets = run.pop("facets")
        if isinstance(facets, str):
            facets = json.loads(facets)
        run["facets"] = facets or {}
        run["job"] = f"{run['job_namespace']}/{run['job_name']}"
    return sorted(runs, key=lambda r: (r["started_at"] or r["last_event_time"], r["run_id"]))


def version_view(row: dict[str, Any], depth: int | None = None) -> dict[str, Any]:
    view = {
        "namespace": row["namespace"],
        "name": row["name"],
        "version": row["version"] or None,
        "kind": row["kind"],
        "created_at": row["created_at"],
        "produced_by": row["run_id"],
        "deleted_at": row["deleted_at"],
    }
    if depth is not None:
        view["depth"] = depth
    return view
