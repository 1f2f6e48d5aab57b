"""anomaly.access_volume: an actor's accesses on one day far above their own daily norm.

Counts the kinds in `kinds` (default: dataset reads and reads of the audit log; writes are what
an actor's pipelines produce, deletions have their own detector). The baseline is the actor's
daily count over the lookback days they existed on, zero days included.
"""

from __future__ import annotations

from lineage.findings.draft import FindingDraft
from lineage.review.anomalies.inputs import Inputs, actor_subject, anomaly
from lineage.review.anomalies.stats import Baseline, Verdict, judge

RULE = "anomaly.access_volume"


def detect_access_volume(inputs: Inputs) -> list[FindingDraft]:
    s = inputs.settings.access_volume
    found = []
    for actor in inputs.window.actors():
        days = inputs.history_days(actor)
        if len(days) < s.min_history_days:
            continue
        usual = inputs.history.daily(actor, s.kinds)
        base = Baseline.of([usual.get(day, 0) for day in days])
        for day, observed in sorted(inputs.window.daily(actor, s.kinds).items()):
            if observed < s.min_count:
                continue
            verdict = judge(
                observed,
                base,
                z_threshold=s.z_threshold,
                p_threshold=s.p_threshold,
                poisson_below=s.poisson_below,
            )
            if verdict.fired:
                found.append(_finding(inputs, actor, day, observed, base, verdict))
    return found


def _finding(
    inputs: Inputs, actor: str, day: str, observed: int, base: Baseline, verdict: Verdict
) -> FindingDraft:
    kinds = inputs.settings.access_volume.kinds
    by_kind = {kind: n for kind in kinds if (n := inputs.window.daily(actor, [kind]).get(day, 0))}
    explanation = (
        f"{observed} accesses ({', '.join(kinds)}) on {day} (UTC), far above this actor's norm: "
        f"median {base.median:g} per day over the {base.periods} days before "
        f"{inputs.period.base_until[:10]} (MAD {base.mad:g}, mean {base.mean:.1f}, "
        f"max {base.maximum:g}); {verdict.describe()}."
    )
    return anomaly(
        RULE,
        "medium",
        actor_subject(actor),
        f"{observed} accesses on {day}, usually {base.median:g} a day",
        explanation,
        {
            "actor": actor,
            "day": day,
            "observed": observed,
            "observed_by_kind": by_kind,
            "kinds": list(kinds),
            "baseline": {**base.as_dict(), "unit": "accesses/day"},
            "verdict": verdict.as_dict(),
        },
        occurred_at=inputs.window.first_in(actor, day),
        dedupe=day,
    )
