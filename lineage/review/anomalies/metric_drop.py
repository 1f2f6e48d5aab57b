"""anomaly.metric_drop_at_deploy: a deployed model version whose evaluation metric is far worse
than the model's earlier evaluated versions.

At each deployment in the window, the deployed version's latest evaluation before the deploy is
compared, metric by metric, with the latest evaluation of up to `max_versions` other versions of
the same model evaluated before it (at least `min_versions`). The baseline is their median and
spread (scaled MAD, at least `min_spread`); a drop fires when it is at least `k_spreads` spreads
and at least `min_drop`. Metrics whose name contains a `lower_is_better` word drop upwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, text

from lineage.findings.draft import FindingDraft
from lineage.review.anomalies.inputs import Inputs, anomaly
from lineage.review.anomalies.settings import MetricDropAtDeploy
from lineage.review.anomalies.stats import MAD_TO_SIGMA, Baseline

RULE = "anomaly.metric_drop_at_deploy"

DEPLOYS = text(
    """
    SELECT d.seq, d.run_id, d.environment, d.action, d.valid_from, d.model_dataset_id,
           d.model_version_id, ds.namespace, ds.name, v.version
    FROM deployments d
    JOIN datasets ds ON ds.id = d.model_dataset_id
    JOIN dataset_versions v ON v.id = d.model_version_id
    WHERE d.valid_from >= :since AND d.valid_from < :until
    ORDER BY d.valid_from, d.seq
    """
)

EVALUATIONS = text(
    """
    SELECT e.model_version_id, e.metrics, e.event_time, e.seq, v.version
    FROM evaluations e JOIN dataset_versions v ON v.id = e.model_version_id
    WHERE e.model_dataset_id = :model AND e.event_time <= :until
    ORDER BY e.event_time, e.seq
    """
)


@dataclass(frozen=True)
class Evaluated:
    version_id: int
    version: str
    time: str
    seq: int
    metrics: dict[str, float]


@dataclass(frozen=True)
class Drop:
    metric: str
    value: float
    baseline: Baseline
    spread: float
    drop: float
    lower_is_better: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "observed": self.value,
            "baseline": {**self.baseline.as_dict(), "spread": round(self.spread, 6)},
            "drop": round(self.drop, 6),
            "spreads": round(self.drop / self.spread, 2),
            "lower_is_better": self.lower_is_better,
        }


def detect_metric_drop_at_deploy(inputs: Inputs) -> list[FindingDraft]:
    s, period = inputs.settings.metric_drop_at_deploy, inputs.period
    found: list[FindingDraft] = []
    history: dict[int, list[Evaluated]] = {}
    with inputs.ctx.store.engine.connect() as conn:
        for deploy in conn.execute(DEPLOYS, {"since": period.since, "until": period.until}):
            model = deploy.model_dataset_id
            if model not in history:
                history[model] = _evaluations(conn, model, period.until)
            latest = _latest_per_version(history[model], deploy.valid_from)
            current = latest.pop(deploy.model_version_id, None)
            earlier = sorted(latest.values(), key=lambda e: (e.time, e.seq), reverse=True)
            earlier = earlier[: s.max_versions]
            if current is None or len(earlier) < s.min_versions:
                continue
            drops = metric_drops(current, earlier, s)
            if drops:
                found.append(_finding(deploy, current, len(earlier), drops, s))
    return found


def metric_drops(current: Evaluated, earlier: list[Evaluated], s: MetricDropAtDeploy) -> list[Drop]:
    drops = []
    for metric, value in sorted(current.metrics.items()):
        values = [e.metrics[metric] for e in earlier if metric in e.metrics]
        if len(values) < s.min_versions:
            continue
        base = Baseline.of(values)
        spread = max(MAD_TO_SIGMA * base.mad, s.min_spread)
        lower = any(word in metric.lower() for word in s.lower_is_better)
        drop = value - base.median if lower else base.median - value
        if drop >= s.min_drop and drop >= s.k_spreads * spread:
            drops.append(Drop(metric, value, base, spread, drop, lower))
    return drops


def _evaluations(conn: Connection, model: int, until: str) -> list[Evaluated]:
    rows = conn.execute(EVALUATIONS, {"model": model, "until": until})
    return [
        Evaluated(r.model_version_id, r.version, r.event_time, r.seq, _numbers(r.metrics))
        for r in rows
    ]


def _latest_per_version(evaluations: list[Evaluated], before: str) -> dict[int, Evaluated]:
    """Per version, each metric's latest value up to `before`. One evaluation run is several
    rows (the metrics, then one row per check with its own metric and threshold), so keeping
    only a version's last row would compare whichever check happened to come last."""
    latest: dict[int, Evaluated] = {}
    for evaluation in evaluations:
        if evaluation.time > before:
            continue
        previous = latest.get(evaluation.version_id)
        metrics = {**(previous.metrics if previous else {}), **evaluation.metrics}
        latest[evaluation.version_id] = replace(evaluation, metrics=metrics)
    return latest


def _numbers(value: Any) -> dict[str, float]:
    # SQLite hands JSON columns back as text in raw SQL; psycopg parses them.
    metrics = json.loads(value) if isinstance(value, str) else value
    if not isinstance(metrics, dict):
        return {}
    # A check records its limit beside the value (`threshold`, `*_threshold`): not a metric.
    return {
        k: float(v)
        for k, v in metrics.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and not k.endswith("threshold")
    }


def _finding(
    deploy: Any, current: Evaluated, versions: int, drops: list[Drop], s: MetricDropAtDeploy
) -> FindingDraft:
    model = f"{deploy.namespace}/{deploy.name}"
    said = "; ".join(
        f"{d.metric} {d.value:g} against a median of {d.baseline.median:g} over the {versions} "
        f"earlier evaluated versions (MAD {d.baseline.mad:g}, spread {d.spread:.3g}): "
        f"{'a rise' if d.lower_is_better else 'a drop'} of {d.drop:.3g}, "
        f"{d.drop / d.spread:.1f} spreads"
        for d in drops
    )
    explanation = (
        f"Version {deploy.version} of {model} was deployed ({deploy.action}) to "
        f"{deploy.environment} at {deploy.valid_from} with worse metrics than its history: "
        f"{said}. Fires at {s.k_spreads:g} spreads and at least {s.min_drop:g}."
    )
    return anomaly(
        RULE,
        "high",
        f"model:{model}@{deploy.version}",
        f"{model}@{deploy.version} deployed to {deploy.environment} with "
        f"{', '.join(d.metric for d in drops)} below its history",
        explanation,
        {
            "model": model,
            "version": deploy.version,
            "environment": deploy.environment,
            "action": deploy.action,
            "deployment": {"seq": deploy.seq, "run_id": deploy.run_id, "time": deploy.valid_from},
            "evaluation": {"seq": current.seq, "time": current.time},
            "earlier_versions": versions,
            "drops": [d.as_dict() for d in drops],
        },
        occurred_at=deploy.valid_from,
        dedupe=f"{deploy.environment}:{deploy.seq}",
    )
