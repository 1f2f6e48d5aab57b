"""Trace a model version upstream to its raw sources: runs, actors, evaluations, deployments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from lineage.collector import collector_paused
from lineage.queries.graph_sql import END_OF_TIME, walk_upstream_reads
from lineage.queries.ml import deployments_of, evaluations_of, live_of
from lineage.queries.nodes import as_it_stood, load_versions_made, version_view
from lineage.queries.resolve import resolve_dataset, resolve_version
from lineage.timeutil import to_store_time

# The only run facet a trace shows: its runs are loaded with this one alone.
TRAINING = "mlaudit_training"


@collector_paused()
def trace(
    engine: Engine,
    model: str,
    *,
    version: str | None = None,
    as_of: str | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    """Everything upstream of one model version, as it stood at `as_of` (default: now)."""
    cutoff = to_store_time(as_of) if as_of else None
    with engine.connect() as conn:
        dataset = resolve_dataset(conn, model, namespace=namespace, kind="MODEL")
        start = resolve_version(conn, dataset, version, cutoff)
        bound = cutoff or END_OF_TIME
        depths, read_pairs = walk_upstream_reads(conn, start["id"], bound)
        versions, producers, runs = load_versions_made(conn, depths, bound, (TRAINING,))
        versions = [as_it_stood(v, bound) for v in versions]
        dataset = as_it_stood(dataset, bound)
        evaluations = evaluations_of(conn, start["id"], bound)
        deployments = deployments_of(conn, dataset["id"], bound)
    return _assemble(
        dataset,
        start,
        depths,
        versions,
        producers,
        sorted(read_pairs),
        runs,
        evaluations,
        deployments,
        live_of(deployments),
        cutoff,
    )


def _assemble(
    dataset: dict[str, Any],
    start: dict[str, Any],
    depths: dict[int, int],
    versions: list[dict[str, Any]],
    producers: list[dict[str, Any]],
    reads: list[tuple[str, int]],
    runs: list[dict[str, Any]],
    evaluations: list[dict[str, Any]],
    deployments: list[dict[str, Any]],
    live: list[dict[str, Any]],
    as_of: str | None,
) -> dict[str, Any]:
    by_id = {v["id"]: v for v in versions}
    node = {vid: _node_label(v) for vid, v in by_id.items()}
    datasets = sorted(
        (version_view(v, depths[v["id"]]) for v in versions),
        key=lambda d: (d["depth"], d["namespace"], d["name"]),
    )
    pairs = [(node[version], run) for run, version in reads if version in node]
    pairs += [(p["run_id"], node[p["version_id"]]) for p in producers]
    # By content, not by row ids, which differ between stores holding the same history.
    edges = [{"from": source, "to": target} for source, target in sorted(pairs)]
    run_views = [_run_view(r) for r in runs]
    return {
        "model": {
            **version_view({**start, **dataset, "id": start["id"]}),
            "version": start["version"],
        },
        "as_of": as_of,
        "datasets": datasets,
        "runs": run_views,
        "edges": edges,
        "sources": [
            version_view(by_id[vid], depths[vid]) for vid in _sources(by_id, producers, reads)
        ],
        "evaluations": evaluations,
        "deployments": [
            {**d, "is_traced_version": d["version"] == start["version"]} for d in deployments
        ],
        "live": live,
        "actors": _actors(run_views, deployments),
    }


def _node_label(v: dict[str, Any]) -> str:
    return f"{v['namespace']}/{v['name']}@{v['version'] or '-'}"


def _sources(
    by_id: dict[int, dict[str, Any]], producers: list[dict[str, Any]], reads: list[tuple[str, int]]
) -> list[int]:
    """Versions nothing upstream produced from inputs: the raw data the model stands on."""
    readers = {run for run, _ in reads}
    fed: set[int] = {p["version_id"] for p in producers if p["run_id"] in readers}
    return sorted(vid for vid in by_id if vid not in fed)


def _run_view(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": run["run_id"],
        "job": run["job"],
        "state": run["state"],
        "started_at": run["started_at"],
        "ended_at": run["ended_at"],
        "actor": run["actor"],
        "actor_kind": run["actor_kind"],
        "parent_run_id": run["parent_run_id"],
        "training": _strip(run["facets"].get(TRAINING)),
    }


def _strip(facet: dict[str, Any] | None) -> dict[str, Any] | None:
    if not facet:
        return None
    return {k: v for k, v in facet.items() if not k.startswith("_")}


def _actors(runs: list[dict[str, Any]], deployments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for run in runs:
        if run["actor"]:
            entry = found.setdefault(
                run["actor"],
                {"actor": run["actor"], "kind": run["actor_kind"], "runs": [], "deployments": []},
            )
            entry["runs"].append(run["run_id"])
    for dep in deployments:
        if dep["actor"]:
            entry = found.setdefault(
                dep["actor"],
                {
                    "actor": dep["actor"],
                    "kind": dep.get("actor_kind"),
                    "runs": [],
                    "deployments": [],
                },
            )
            entry["deployments"].append(f"{dep['environment']}:{dep['version']}:{dep['action']}")
    return sorted(found.values(), key=lambda a: a["actor"])
