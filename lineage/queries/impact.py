"""Everything downstream of a dataset: derived datasets, models trained on it, deployments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, bindparam, text

from lineage.queries.graph_sql import END_OF_TIME, walk_downstream
from lineage.queries.nodes import (
    OUTPUT_RUNS_OF_VERSIONS,
    VERSIONS,
    chunked_rows,
    load_runs,
    version_view,
)
from lineage.queries.resolve import resolve_dataset
from lineage.timeutil import to_store_time

DEPLOYMENTS_OF_VERSIONS = text(
    """
    SELECT d.namespace, d.name, v.version, dp.environment, dp.action, dp.valid_from, dp.valid_to,
           a.name AS actor
    FROM deployments dp
    JOIN datasets d ON d.id = dp.model_dataset_id
    LEFT JOIN dataset_versions v ON v.id = dp.model_version_id
    LEFT JOIN actors a ON a.id = dp.actor_id
    WHERE dp.model_version_id IN :ids AND dp.valid_from <= :as_of
    ORDER BY dp.valid_from
    """
).bindparams(bindparam("ids", expanding=True))


def impact(
    engine: Engine, dataset: str, *, namespace: str | None = None, as_of: str | None = None
) -> dict[str, Any]:
    """Every version derived (directly or not) from any version of the dataset."""
    bound = to_store_time(as_of) if as_of else END_OF_TIME
    with engine.connect() as conn:
        root = resolve_dataset(conn, dataset, namespace=namespace)
        depths = walk_downstream(conn, root["id"], bound)
        downstream = {vid: d for vid, d in depths.items() if d > 0}
        versions = chunked_rows(conn, VERSIONS, downstream)
        producers = chunked_rows(conn, OUTPUT_RUNS_OF_VERSIONS, downstream, as_of=bound)
        runs = load_runs(conn, {p["run_id"] for p in producers}, facets=False)
        deployments = _deployments(conn, downstream, bound)
    views = sorted(
        (version_view(v, downstream[v["id"]]) for v in versions),
        key=lambda v: (v["depth"], v["name"]),
    )
    return {
        "dataset": {"namespace": root["namespace"], "name": root["name"], "kind": root["kind"]},
        "as_of": None if bound == END_OF_TIME else bound,
        "datasets": [v for v in views if v["kind"] != "MODEL"],
        "models": [v for v in views if v["kind"] == "MODEL"],
        "runs": [
            {k: r[k] for k in ("run_id", "job", "state", "started_at", "ended_at", "actor")}
            for r in runs
        ],
        "deployments": deployments,
    }


def _deployments(conn: Any, version_ids: dict[int, int], as_of: str) -> list[dict[str, Any]]:
    rows = (
        chunked_rows(conn, DEPLOYMENTS_OF_VERSIONS, version_ids, as_of=as_of) if version_ids else []
    )
    for row in rows:
        row["live"] = row["valid_to"] is None or row["valid_to"] > as_of
    return rows
