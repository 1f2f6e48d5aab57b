"""policy.metric_below_threshold and policy.metric_regression: the deployed version's evaluated
metrics (their latest values recorded by the deployment's start) against configured limits and
against the version it replaced."""

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
from lineage.review.policies.evaluated import ACTIONS
from lineage.review.policies.metrics import (
    LOWER_IS_BETTER,
    Metric,
    as_of,
    latest_metrics,
    lower_is_better,
    worse,
)
from lineage.review.policies.params import Param, names, non_negative, subset_of, thresholds
from lineage.review.policies.rule import ENVIRONMENTS, MODELS, Hit, Policy, matches

SCOPE = {"models": MODELS, "environments": ENVIRONMENTS, "lower_is_better": LOWER_IS_BETTER}


def _metrics_at(evaluations: dict[int, list[dict[str, Any]]], version_id: Any, when: str):
    return latest_metrics(as_of(evaluations.get(version_id, []), when))


def below_threshold(ctx: ReviewContext, settings: Mapping[str, Any]) -> list[Hit]:
    limits: dict[str, float] = settings["metrics"]
    if not limits:
        return []
    rows = deployments(ctx, settings)
    evaluations = deployment_evaluations(ctx, rows)
    hits = []
    for row in rows:
        values = _metrics_at(evaluations, row["model_version_id"], row["started_at"])
        breaches = [
            _breach(name, values[name], limit, settings["lower_is_better"])
            for name, limit in sorted(limits.items())
            if name in values
            and worse(values[name].value, limit, lower_better=_lower(name, settings))
        ]
        if breaches:
            words = "; ".join(b["words"] for b in breaches)
            evidence = {**deployment_evidence(row), "breaches": breaches}
            hits.append(Hit(subject(row), {**row, "breaches": words}, evidence, row["started_at"]))
    return hits


def _lower(name: str, settings: Mapping[str, Any]) -> bool:
    return lower_is_better(name, settings["lower_is_better"])


def _breach(name: str, metric: Metric, limit: float, globs: tuple[str, ...]) -> dict[str, Any]:
    lower = lower_is_better(name, globs)
    words = f"{name} {metric.value:g} {'>' if lower else '<'} {'maximum' if lower else 'minimum'}"
    return {
        "metric": name,
        "value": metric.value,
        "limit": limit,
        "lower_is_better": lower,
        "evaluation_run": metric.run_id,
        "seq": metric.seq,
        "words": f"{words} {limit:g}",
    }


def regressions(ctx: ReviewContext, settings: Mapping[str, Any]) -> list[Hit]:
    rows = [r for r in deployments(ctx, settings) if r["previous_version_id"] is not None]
    evaluations = deployment_evaluations(ctx, rows, previous=True)
    hits = []
    for row in rows:
        now = _metrics_at(evaluations, row["model_version_id"], row["started_at"])
        before = _metrics_at(evaluations, row["previous_version_id"], row["started_at"])
        worse_ones = _regressed(now, before, settings)
        if worse_ones:
            words = "; ".join(w["words"] for w in worse_ones)
            evidence = {**deployment_evidence(row), "previous_version": row["previous_version"]}
            evidence["regressions"] = worse_ones
            hits.append(
                Hit(subject(row), {**row, "regressions": words}, evidence, row["started_at"])
            )
    return hits


def _regressed(
    now: dict[str, Metric], before: dict[str, Metric], settings: Mapping[str, Any]
) -> list[dict[str, Any]]:
    chosen = settings["metrics"] or sorted(
        name for name in set(now) & set(before) if not matches(name, settings["ignore"])
    )
    found = []
    for name in chosen:
        if name not in now or name not in before:
            continue
        lower = _lower(name, settings)
        new, old = now[name], before[name]
        if worse(new.value, old.value, lower_better=lower, tolerance=settings["tolerance"]):
            found.append(
                {
                    "metric": name,
                    "value": new.value,
                    "previous_value": old.value,
                    "lower_is_better": lower,
                    "evaluation_runs": [new.run_id, old.run_id],
                    "seqs": [new.seq, old.seq],
                    "words": f"{name} {new.value:g} against {old.value:g}",
                }
            )
    return found


METRIC_BELOW_THRESHOLD = Policy(
    name="policy.metric_below_threshold",
    severity="high",
    title="{model}@{version} went live in {environment} below its metric thresholds",
    explanation=(
        "Rule policy.metric_below_threshold: a deployed model version's evaluated metrics must "
        "meet the configured limits. The {action} of {model} version {version} to "
        "{environment} (run {run_id}, started {started_at}) had {breaches}."
    ),
    query=below_threshold,
    params={
        **SCOPE,
        "actions": ACTIONS,
        "metrics": Param({}, thresholds, "metric = limit; none configured: the rule is quiet"),
    },
    aliases=("metric_threshold",),
)

METRIC_REGRESSION = Policy(
    name="policy.metric_regression",
    severity="medium",
    title="{model}@{version} replaced {previous_version} in {environment} with worse metrics",
    explanation=(
        "Rule policy.metric_regression: a deployment must not make a model's evaluated metrics "
        "worse than those of the version it replaced, beyond a tolerance of {tolerance:g}. The "
        "{action} of {model} version {version} over version {previous_version} in {environment} "
        "(run {run_id}, started {started_at}) had {regressions}."
    ),
    query=regressions,
    params={
        **SCOPE,
        # A rollback returns to a version already judged, usually because the newer one broke.
        "actions": Param(("deploy", "update"), subset_of(*DEPLOYING), "actions looked at"),
        "metrics": Param((), names, "metrics compared; empty: every metric both versions have"),
        "ignore": Param(
            ("threshold", "*_threshold"),
            names,
            "globs of recorded numbers that are not measurements (check thresholds)",
        ),
        "tolerance": Param(0.0, non_negative, "how much worse a metric may get"),
    },
)
