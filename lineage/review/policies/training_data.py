"""policy.training_data_changed: a model still live at the window's end whose training data got a
newer version or was deleted after it was trained."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from lineage.review.context import ReviewContext
from lineage.review.policies.rows import expanding, fetch, label
from lineage.review.policies.rule import ENVIRONMENTS, MODELS, Hit, Policy, matches
from lineage.review.policies.upstream import DEPTH, training_data

LIVE = text(
    """
    SELECT dep.seq, dep.run_id, dep.environment, dep.valid_from, dep.model_version_id,
           d.namespace, d.name, v.version, v.run_id AS training_run,
           COALESCE(r.started_at, v.created_at) AS trained_at
    FROM deployments dep
    JOIN datasets d ON d.id = dep.model_dataset_id
    JOIN dataset_versions v ON v.id = dep.model_version_id
    LEFT JOIN runs r ON r.run_id = v.run_id
    WHERE dep.action <> 'retire' AND dep.valid_from <= :until
      AND (dep.valid_to IS NULL OR dep.valid_to > :until) AND v.run_id IS NOT NULL
    ORDER BY dep.valid_from, dep.seq
    """
)

CHANGES = expanding(
    """
    SELECT da.dataset_id, da.version_id, da.action, da.event_time, da.seq, da.run_id,
           v.version, a.name AS actor
    FROM data_access da
    LEFT JOIN dataset_versions v ON v.id = da.version_id
    LEFT JOIN actors a ON a.id = da.actor_id
    WHERE da.dataset_id IN :datasets AND da.action IN ('create', 'modify', 'delete')
      AND da.event_time > :after AND da.event_time <= :until
    ORDER BY da.event_time, da.seq
    """,
    "datasets",
)


def changed_training_data(ctx: ReviewContext, settings: Mapping[str, Any]) -> list[Hit]:
    live = _live_models(ctx, settings)
    if not live:
        return []
    used = training_data(ctx, sorted({m["training_run"] for m in live.values()}), settings["depth"])
    datasets = sorted({row["dataset_id"] for rows in used.values() for row in rows})
    after = min(m["trained_at"] for m in live.values())
    changes: dict[int, list[dict[str, Any]]] = {}
    for change in fetch(ctx, CHANGES, datasets=datasets, after=after, until=ctx.window.until):
        changes.setdefault(change["dataset_id"], []).append(change)
    hits = []
    for model in live.values():
        reported: set[int] = set()
        for input_row in used[model["training_run"]]:
            if input_row["dataset_id"] in reported:
                continue  # read at two versions (directly and upstream): the nearest one speaks
            candidates = changes.get(input_row["dataset_id"], [])
            later = [c for c in candidates if _supersedes(c, input_row, model["trained_at"])]
            if later:
                reported.add(input_row["dataset_id"])
                hits.append(_hit(model, input_row, later))
    return hits


def _live_models(ctx: ReviewContext, settings: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """Model version id -> the live model, with every environment it serves in."""
    live: dict[int, dict[str, Any]] = {}
    for row in fetch(ctx, LIVE, until=ctx.window.until):
        row["model"] = label(row["namespace"], row["name"])
        if not matches(row["model"], settings["models"]):
            continue
        if not matches(row["environment"], settings["environments"]):
            continue
        model = live.setdefault(row["model_version_id"], {**row, "deployments": []})
        model["deployments"].append(
            {"environment": row["environment"], "run_id": row["run_id"], "seq": row["seq"]}
        )
    return live


def _supersedes(change: dict[str, Any], used: dict[str, Any], trained_at: str) -> bool:
    if change["event_time"] <= trained_at:
        return False
    return change["action"] == "delete" or change["version_id"] != used["version_id"]


def _hit(model: dict[str, Any], used: dict[str, Any], later: list[dict[str, Any]]) -> Hit:
    first = later[0]
    deleted = first["action"] == "delete"
    what = "was deleted" if deleted else f"got version {first['version']!r}"
    facts = {
        **model,
        "dataset": used["dataset"],
        "used_version": used["version"],
        "how": "read by the training run" if used["depth"] == 1 else "upstream of its inputs",
        "happened": f"{what} at {first['event_time']} by {first['actor'] or 'an unknown actor'}",
        "later": f" ({len(later) - 1} later change(s) too)" if len(later) > 1 else "",
        "environments": ", ".join(sorted({d["environment"] for d in model["deployments"]})),
    }
    evidence = {
        "model": model["model"],
        "version": model["version"],
        "training_run": model["training_run"],
        "trained_at": model["trained_at"],
        "deployments": model["deployments"],
        "dataset": used["dataset"],
        "used_version": used["version"],
        "depth": used["depth"],
        "changes": [
            {k: c[k] for k in ("action", "version", "event_time", "actor", "run_id", "seq")}
            for c in later
        ],
    }
    subject = f"model:{model['model']}@{model['version']}"
    return Hit(subject, facts, evidence, first["event_time"], dedupe=f"dataset:{used['dataset']}")


TRAINING_DATA_CHANGED = Policy(
    name="policy.training_data_changed",
    severity="medium",
    title="{model}@{version} is live but its training data {dataset} changed",
    explanation=(
        "Rule policy.training_data_changed: a live model version should still match the data "
        "it was trained on. {model} version {version}, live in {environments}, was trained by "
        "run {training_run} at {trained_at} on version {used_version!r} of {dataset} ({how}); "
        "since then {dataset} {happened}{later}."
    ),
    query=changed_training_data,
    params={"models": MODELS, "environments": ENVIRONMENTS, "depth": DEPTH},
)
