"""policy.personal_data_without_approval: training on personal data needs an approval first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from lineage.review.context import ReviewContext
from lineage.review.policies.approvals import approvals
from lineage.review.policies.rows import fetch, label, window
from lineage.review.policies.rule import MODELS, Hit, Policy, matches
from lineage.review.policies.upstream import DEPTH, training_data
from lineage.review.sensitivity import personal_datasets

# A training run is a run that wrote a model version; it started at its START, else at the write.
TRAINING_RUNS = text(
    """
    SELECT r.run_id, MIN(COALESCE(r.started_at, ro.event_time)) AS started_at,
           d.namespace, d.name, v.version, MIN(ro.seq) AS seq
    FROM runs r
    JOIN run_outputs ro ON ro.run_id = r.run_id
    JOIN dataset_versions v ON v.id = ro.version_id
    JOIN datasets d ON d.id = v.dataset_id
    WHERE d.kind = 'MODEL'
      AND COALESCE(r.started_at, ro.event_time) >= :since
      AND COALESCE(r.started_at, ro.event_time) <= :until
    GROUP BY r.run_id, d.namespace, d.name, v.version
    ORDER BY MIN(COALESCE(r.started_at, ro.event_time)), r.run_id
    """
)


def unapproved_personal_training(ctx: ReviewContext, settings: Mapping[str, Any]) -> list[Hit]:
    personal = personal_datasets(ctx)
    if not personal:
        return []
    runs = _training_runs(ctx, settings)
    used = training_data(ctx, sorted(runs), settings["depth"])
    granted = approvals(ctx.store.engine, until=ctx.window.until)
    hits = []
    for run_id, run in runs.items():
        reported: set[int] = set()
        for row in used[run_id]:
            dataset_id = row["dataset_id"]
            if dataset_id not in personal or dataset_id in reported:
                continue
            if any(a.covers(row["dataset"], run["started_at"]) for a in granted):
                continue
            reported.add(dataset_id)
            hits.append(_hit(run, row, [a for a in granted if a.dataset == row["dataset"]]))
    return hits


def _training_runs(ctx: ReviewContext, settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    for row in fetch(ctx, TRAINING_RUNS, **window(ctx)):
        model = label(row["namespace"], row["name"])
        if matches(model, settings["models"]):
            run = runs.setdefault(row["run_id"], {**row, "models": []})
            run["models"].append(f"{model}@{row['version']}")
    return runs


def _hit(run: dict[str, Any], used: dict[str, Any], others: list[Any]) -> Hit:
    if not others:
        approval_words = "no approval for it was ever recorded before then"
    else:
        approval_words = "its approvals were given later or had expired by then"
    facts = {
        **run,
        "models": ", ".join(run["models"]),
        "dataset": used["dataset"],
        "version": used["version"],
        "how": "read it directly" if used["depth"] == 1 else "was trained on data derived from it",
        "approval": approval_words,
    }
    evidence = {
        "run_id": run["run_id"],
        "started_at": run["started_at"],
        "seq": run["seq"],
        "models": run["models"],
        "dataset": used["dataset"],
        "dataset_version": used["version"],
        "depth": used["depth"],
        "approvals": [a.as_dict() for a in others],
    }
    return Hit(
        f"run:{run['run_id']}", facts, evidence, run["started_at"], f"dataset:{used['dataset']}"
    )


PERSONAL_DATA_WITHOUT_APPROVAL = Policy(
    name="policy.personal_data_without_approval",
    severity="high",
    title="Training run {run_id} used personal data from {dataset} without approval",
    explanation=(
        "Rule policy.personal_data_without_approval: training on a dataset holding personal "
        "data needs an approval for that dataset (mlaudit approve) before the run. Run "
        "{run_id}, which produced {models} and started at {started_at}, {how} ({dataset} "
        "version {version!r}); {approval}."
    ),
    query=unapproved_personal_training,
    params={"models": MODELS, "depth": DEPTH},
)
