"""Load the rows behind a set of graph nodes: versions, runs, edges, actors."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Result, TextClause, bindparam, text

CHUNK = 900  # below SQLite's bound-parameter limit

VERSIONS = text(
    """
    SELECT v.id, v.version, v.created_at, v.run_id, d.id AS dataset_id, d.namespace, d.name,
           d.kind, d.deleted_at
    FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
    WHERE v.id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))

RUNS_OF = """
    SELECT r.run_id, j.namespace AS job_namespace, j.name AS job_name, r.state, r.started_at,
           r.ended_at, r.last_event_time, r.parent_run_id, {facets}
           COALESCE(a.name, pa.name) AS actor, COALESCE(a.kind, pa.kind) AS actor_kind
    FROM runs r
    JOIN jobs j ON j.id = r.job_id
    LEFT JOIN actors a ON a.id = r.actor_id
    LEFT JOIN runs p ON p.run_id = r.parent_run_id
    LEFT JOIN actors pa ON pa.id = p.actor_id
    WHERE r.run_id IN :ids
"""
RUNS = text(RUNS_OF.format(facets="r.facets,")).bindparams(bindparam("ids", expanding=True))
# Without the facets: an impact lists thousands of runs and shows none of their facets, whose
# JSON was most of the bytes read and the time spent parsing.
RUN_SUMMARIES = text(RUNS_OF.format(facets="")).bindparams(bindparam("ids", expanding=True))

OUTPUT_RUNS_OF_VERSIONS = text(
    "SELECT run_id, version_id FROM run_outputs WHERE version_id IN :ids AND event_time <= :as_of"
).bindparams(bindparam("ids", expanding=True))


def chunked_rows(
    conn: Connection, query: TextClause, ids: Iterable[Any], **params: Any
) -> list[dict[str, Any]]:
    """Rows of `query` (`... IN :ids ...`) for every id: on SQLite in chunks under its
    bound-parameter limit, on PostgreSQL in one statement with the ids as one array."""
    wanted = list(ids)
    if conn.dialect.name == "postgresql" and wanted:
        return _dicts(conn.execute(_as_array(query.text), {"ids": wanted, **params}))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(wanted), CHUNK):
        rows += _dicts(conn.execute(query, {"ids": wanted[start : start + CHUNK], **params}))
    return rows


def _dicts(result: Result[Any]) -> list[dict[str, Any]]:
    keys = list(result.keys())  # plain tuples zipped: Row._mapping per row cost more
    return [dict(zip(keys, row, strict=True)) for row in result.fetchall()]


@lru_cache(maxsize=64)
def _as_array(sql: str) -> TextClause:
    """`IN :ids` as `= ANY(:ids)`: a thousand ids are one array parameter instead of a thousand
    parameters to render, send and plan (a 1,300-node trace's versions at 1M: 25 -> 10 ms)."""
    if "IN :ids" not in sql:
        raise ValueError("chunked_rows needs a query with `IN :ids`")
    return text(sql.replace("IN :ids", "= ANY(:ids)"))


def load_runs(
    conn: Connection, run_ids: Iterable[str], *, facets: bool = True
) -> list[dict[str, Any]]:
    """The runs with job, actor (or the parent run's) and, when `facets`, their facets."""
    runs = chunked_rows(conn, RUNS if facets else RUN_SUMMARIES, run_ids)
    for run in runs:
        if facets:
            stored = run.pop("facets")
            run["facets"] = (json.loads(stored) if isinstance(stored, str) else stored) or {}
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
