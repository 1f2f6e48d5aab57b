"""anomaly.mass_deletion: one actor deleting many datasets in an hour or a day.

The usual number of deletions is about zero, so the floors decide what "many" is (`min_per_hour`
in the busiest hour, or `min_per_day`); the actor's own history then decides whether it is
unusual for them: the day's count must be improbable (Poisson tail at most `p_threshold`) under
their mean daily deletions over the lookback, taken as at least `min_rate`. A nightly cleanup
that always deletes fifty stays quiet; an actor without history is judged against `min_rate`.
"""

from __future__ import annotations

import math

from sqlalchemy import text

from lineage.findings.draft import FindingDraft
from lineage.review.anomalies.inputs import Inputs, actor_subject, anomaly
from lineage.review.anomalies.period import day_bounds
from lineage.review.anomalies.stats import Baseline, Verdict, judge

RULE = "anomaly.mass_deletion"
LISTED = 50

DELETED = text(
    """
    SELECT ds.namespace, ds.name, da.event_time, da.seq
    FROM audit_log l
    JOIN data_access da ON da.seq = l.seq
    JOIN datasets ds ON ds.id = da.dataset_id
    LEFT JOIN runs r ON r.run_id = da.run_id
    JOIN actors a ON a.id = COALESCE(da.actor_id, r.actor_id)
    WHERE l.event_time >= :since AND l.event_time < :until
      AND a.name = :actor AND da.action = 'delete'
    ORDER BY da.event_time, da.seq
    LIMIT :limit
    """
)


def detect_mass_deletion(inputs: Inputs) -> list[FindingDraft]:
    s = inputs.settings.mass_deletion
    found = []
    for actor in inputs.window.actors():
        hourly = inputs.window.hourly(actor, ["delete"])
        if not hourly:
            continue
        usual = inputs.history.daily(actor, ["delete"])
        base = Baseline.of([usual.get(day, 0) for day in inputs.history_days(actor)])
        for day, observed in sorted(inputs.window.daily(actor, ["delete"]).items()):
            peak_hour = max((h for h in hourly if h.startswith(day)), key=lambda h: hourly[h])
            if hourly[peak_hour] < s.min_per_hour and observed < s.min_per_day:
                continue
            verdict = judge(
                observed,
                base,
                z_threshold=math.inf,
                p_threshold=s.p_threshold,
                poisson_below=math.inf,
                min_rate=s.min_rate,
            )
            if verdict.fired:
                peak = (peak_hour, hourly[peak_hour])
                found.append(_finding(inputs, actor, day, observed, peak, base, verdict))
    return found


def _finding(
    inputs: Inputs,
    actor: str,
    day: str,
    observed: int,
    peak: tuple[str, int],
    base: Baseline,
    verdict: Verdict,
) -> FindingDraft:
    deleted = _deleted(inputs, actor, day)
    hour = int(peak[0][11:13])
    explanation = (
        f"{observed} dataset deletions on {day} (UTC) by this actor, {peak[1]} of them at "
        f"{hour:02d}:00-{hour:02d}:59. Baseline: mean {base.mean:.2f} deletions per day over "
        f"the {base.periods} days before {inputs.period.base_until[:10]} (median "
        f"{base.median:g}, max {base.maximum:g}); {verdict.describe()}."
    )
    return anomaly(
        RULE,
        "high",
        actor_subject(actor),
        f"{observed} datasets deleted on {day}",
        explanation,
        {
            "actor": actor,
            "day": day,
            "observed": observed,
            "peak_hour": peak[0],
            "peak_hour_deletions": peak[1],
            "baseline": {**base.as_dict(), "unit": "deletions/day"},
            "verdict": verdict.as_dict(),
            "deleted": deleted,
            "deleted_listed_limit": LISTED,
        },
        occurred_at=deleted[0]["time"] if deleted else None,
        dedupe=day,
    )


def _deleted(inputs: Inputs, actor: str, day: str) -> list[dict[str, object]]:
    """The datasets deleted that day inside the window, first ones first."""
    start, end = day_bounds(day)
    since, until = max(inputs.period.since, start), min(inputs.period.until, end)
    params = {"since": since, "until": until, "actor": actor, "limit": LISTED}
    with inputs.ctx.store.engine.connect() as conn:
        rows = conn.execute(DELETED, params).all()
    return [
        {"dataset": f"{r.namespace}/{r.name}", "time": r.event_time, "seq": r.seq} for r in rows
    ]
