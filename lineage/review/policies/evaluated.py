"""policy.deployed_without_evaluation: only versions that passed an evaluation go live."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lineage.review.context import ReviewContext
from lineage.review.policies.deployments import (
    DEPLOYING,
    deployment_evaluations,
    deployment_evidence,
    deployments,
    subject,
)
from lineage.review.policies.metrics import as_of, failed_checks, passing_run
from lineage.review.policies.params import Param, subset_of
from lineage.review.policies.rule import ENVIRONMENTS, MODELS, Hit, Policy

ACTIONS = Param(DEPLOYING, subset_of(*DEPLOYING), "deployment actions the rule looks at")


def unevaluated_deployments(ctx: ReviewContext, settings: Mapping[str, Any]) -> list[Hit]:
    rows = deployments(ctx, settings)
    evaluations = deployment_evaluations(ctx, rows)
    hits = []
    for row in rows:
        before = as_of(evaluations.get(row["model_version_id"], []), row["started_at"])
        if passing_run(before) is not None:
            continue
        failed = failed_checks(before)
        evidence = {
            **deployment_evidence(row),
            "evaluation_runs": sorted({r["run_id"] for r in before}),
            "evaluation_seqs": [r["seq"] for r in before],
            "failed_checks": failed,
        }
        facts = {**row, "observed": _observed(before, failed)}
        hits.append(Hit(subject(row), facts, evidence, row["started_at"]))
    return hits


def _observed(before: list[dict[str, Any]], failed: list[str]) -> str:
    if not before:
        return "no evaluation of that version"
    if failed:
        return f"only evaluations with failed checks ({', '.join(failed)})"
    return "only evaluations without checks"


DEPLOYED_WITHOUT_EVALUATION = Policy(
    name="policy.deployed_without_evaluation",
    severity="high",
    title="{model}@{version} went live in {environment} without a passing evaluation",
    explanation=(
        "Rule policy.deployed_without_evaluation: a model version may go live only after an "
        "evaluation of that version whose checks all passed. The {action} of {model} version "
        "{version} to {environment} started at {started_at} (run {run_id}); by then the log "
        "held {observed}."
    ),
    query=unevaluated_deployments,
    params={"models": MODELS, "environments": ENVIRONMENTS, "actions": ACTIONS},
)
