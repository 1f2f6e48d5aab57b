"""Everything downstream of a dataset: derived datasets, models trained on it, deployments.

The answer is bounded so a user can act on it: one summary per affected dataset and model
(how many of its versions are affected, the nearest depth, the latest affected version), the
deployments of affected model versions (every live one, the latest ended ones), totals, and one
page of the affected versions, nearest first. The largest source of the generator's
million-event world reaches 26,641 versions made by as many runs; listing them all (with their
runs) cost seconds and nobody reads it in one go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from lineage.collector import collector_paused
from lineage.queries.graph_sql import END_OF_TIME, walk_downstream_reach
from lineage.queries.nodes import VERSIONS, as_it_stood, chunked_rows, version_view
from lineage.queries.reach import DatasetReach, Reach
from lineage.queries.resolve import resolve_dataset
from lineage.timeutil import to_store_time

PAGE = 50

DATASETS = text(
    "SELECT id, namespace, name, kind, deleted_at FROM datasets WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True))

# By model (few), not by version (thousands): the affected versions are picked in Python. Only
# what picking needs, without joins: the largest source at 1M events reaches 2,142 deployments,
# whose joined rows were the second-largest part of its impact.
DEPLOYMENT_KEYS = text(
    """
    SELECT id, model_version_id, action, valid_from, valid_to FROM deployments
    WHERE model_dataset_id IN :ids AND valid_from <= :as_of
    """
).bindparams(bindparam("ids", expanding=True))
DEPLOYMENTS = text(
    """
    SELECT dp.id, d.namespace, d.name, v.version, dp.environment, dp.action,
           dp.valid_from, dp.valid_to, a.name AS actor
    FROM deployments dp
    JOIN datasets d ON d.id = dp.model_dataset_id
    LEFT JOIN dataset_versions v ON v.id = dp.model_version_id
    LEFT JOIN actors a ON a.id = dp.actor_id
    WHERE dp.id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))
ENDED_LISTED = 50  # ended deployments listed, the latest; every live one is


@collector_paused()
def impact(
    engine: Engine,
    dataset: str,
    *,
    namespace: str | None = None,
    as_of: str | None = None,
    limit: int = PAGE,
    offset: int = 0,
    kind: str | None = None,
) -> dict[str, Any]:
    """What was derived (directly or not) from any version of the dataset: summaries, totals,
    deployments, and the affected versions from `offset`, nearest first (only `kind` if given)."""
    bound = to_store_time(as_of) if as_of else END_OF_TIME
    with engine.connect() as conn:
        root = resolve_dataset(conn, dataset, namespace=namespace)
        reach = walk_downstream_reach(conn, root["id"], bound)
        affected = reach.per_dataset()
        datasets = _datasets(conn, affected, bound)
        summaries = _summaries(affected, datasets)
        page, total = _page(reach, datasets, kind, offset, limit)
        latest = [affected[s["dataset_id"]].latest_version for s in summaries]
        rows = chunked_rows(conn, VERSIONS, {*page, *latest})
        versions = {v["id"]: as_it_stood(v, bound) for v in rows}
        models = [s for s in summaries if s["kind"] == "MODEL"]
        deployments = _deployments(conn, reach, [s["dataset_id"] for s in models], bound)
    for summary, version_id in zip(summaries, latest, strict=True):
        summary["latest_version"] = versions[version_id]["version"] or None
        summary["latest_created_at"] = versions[version_id]["created_at"]
    return {
        "dataset": {"namespace": root["namespace"], "name": root["name"], "kind": root["kind"]},
        "as_of": None if bound == END_OF_TIME else bound,
        "totals": _totals(len(reach), summaries, deployments),
        "datasets": [_public(s) for s in summaries if s["kind"] != "MODEL"],
        "models": [_public(s) for s in models],
        "deployments": deployments.listed,
        "versions": [version_view(versions[vid], depth) for vid, depth in page.items()],
        "page": {"offset": offset, "limit": limit, "total": total, "kind": kind},
    }


def _datasets(conn: Connection, ids: Iterable[int], bound: str) -> dict[int, dict[str, Any]]:
    return {row["id"]: as_it_stood(row, bound) for row in chunked_rows(conn, DATASETS, ids)}


def _summaries(
    affected: dict[int, DatasetReach], datasets: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One per affected dataset (how many of its versions, the nearest depth), nearest first."""
    found = [
        {
            **{k: datasets[dataset_id][k] for k in ("namespace", "name", "kind", "deleted_at")},
            "dataset_id": dataset_id,
            "versions": reached.versions,
            "nearest_depth": reached.nearest_depth,
        }
        for dataset_id, reached in affected.items()
    ]
    return sorted(found, key=lambda s: (s["nearest_depth"], s["namespace"], s["name"]))


def _page(
    reach: Reach, datasets: dict[int, dict[str, Any]], kind: str | None, offset: int, limit: int
) -> tuple[dict[int, int], int]:
    """One page of the affected versions (nearest first, then by dataset name, latest recorded
    first) as version id -> depth, and how many there are. The reach is in breadth-first order,
    so only the depths that reach the page's end are ranked, not all of them."""
    wanted = [
        dataset_id
        for dataset_id, row in datasets.items()
        if kind is None or (row["kind"] == "MODEL") == (kind == "MODEL")
    ]
    names = sorted(wanted, key=lambda d: (datasets[d]["namespace"], datasets[d]["name"]))
    rank = {dataset_id: position for position, dataset_id in enumerate(names)}
    listed = reach.of_datasets(rank)
    near = listed.nearest(offset + limit)
    ranks = [rank[dataset_id] for dataset_id in near.datasets.tolist()]
    newest_first = [-version for version in near.versions.tolist()]
    keys = sorted(zip(near.depths.tolist(), ranks, newest_first, strict=True))
    return {-key[2]: key[0] for key in keys[offset : offset + limit]}, len(listed)


@dataclass
class Deployments:
    """The deployments of the affected model versions: those listed, and how many there are."""

    listed: list[dict[str, Any]]
    total: int
    live: int  # live at the moment asked, retirements excepted


def _deployments(
    conn: Connection,
    reach: Reach,
    model_ids: list[int],
    as_of: str,
) -> Deployments:
    """Every live deployment of an affected model version and the latest `ENDED_LISTED` ended
    ones, in the order they started, each marked live or not at `as_of`; the counts cover all.
    An incident asks what is serving now; a model's whole history is its timeline's."""
    keys = chunked_rows(conn, DEPLOYMENT_KEYS, model_ids, as_of=as_of) if model_ids else []
    affected = set(reach.of_datasets(model_ids).versions.tolist())
    keys = [k for k in keys if k["model_version_id"] in affected]
    keys.sort(key=lambda k: (k["valid_from"], k["id"]))
    live: list[dict[str, Any]] = []
    ended: list[dict[str, Any]] = []
    for key in keys:
        (live if _live(key, as_of) else ended).append(key)
    live_ids = {k["id"] for k in live}
    wanted = live_ids | {k["id"] for k in ended[max(0, len(ended) - ENDED_LISTED) :]}
    rows = {row.pop("id"): row for row in chunked_rows(conn, DEPLOYMENTS, wanted)}
    listed = [{**rows[k["id"]], "live": k["id"] in live_ids} for k in keys if k["id"] in wanted]
    serving = sum(1 for k in live if k["action"] != "retire")
    return Deployments(listed, len(keys), serving)


def _live(deployment: dict[str, Any], as_of: str) -> bool:
    """Whether the deployment's interval had not ended at `as_of`."""
    return deployment["valid_to"] is None or deployment["valid_to"] > as_of


def _totals(
    reached: int,
    summaries: list[dict[str, Any]],
    deployments: Deployments,
) -> dict[str, int]:
    models = [s for s in summaries if s["kind"] == "MODEL"]
    model_versions = sum(s["versions"] for s in models)
    return {
        "versions": reached,
        "datasets": len(summaries) - len(models),
        "dataset_versions": reached - model_versions,
        "models": len(models),
        "model_versions": model_versions,
        "deployments": deployments.total,
        "live_deployments": deployments.live,
        "deployments_not_listed": deployments.total - len(deployments.listed),
    }


def _public(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k != "dataset_id"}
