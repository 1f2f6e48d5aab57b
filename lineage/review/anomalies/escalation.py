"""anomaly.escalation_then_bulk_read: a role grant that adds permissions to an account, followed
within `within_hours` by reads above that account's own norm.

Grants are the `role.grant` user actions (lineage.accounts.service); the account they target is
stored as the pseudonym of its login name, the same pseudonym its own reads carry as actor. The
permissions gained are judged by today's role table. Reads are dataset reads plus reads of the
audit log, counted from the grant to `within_hours` later (or the end of the window); the
baseline is the account's daily reads before the window, scaled to that interval. An account
without history is judged against the floor alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from lineage.authz import ROLE_PERMISSIONS
from lineage.findings.draft import FindingDraft
from lineage.review.anomalies.access import reads_between
from lineage.review.anomalies.inputs import Inputs, actor_subject, anomaly
from lineage.review.anomalies.period import shift
from lineage.review.anomalies.stats import Baseline, Verdict, judge
from lineage.timeutil import parse_time

RULE = "anomaly.escalation_then_bulk_read"
READS = ("read", "log_read")

GRANTS = text(
    """
    SELECT l.seq, l.event_time, l.actor, l.payload FROM audit_log l
    WHERE l.event_time >= :since AND l.event_time < :until
      AND l.job_namespace = 'mlaudit' AND l.job_name = 'role.grant'
    ORDER BY l.seq
    """
)


@dataclass(frozen=True)
class Grant:
    seq: int
    time: str
    by: str | None
    account: str
    role: str
    roles: tuple[str, ...]
    gained: tuple[str, ...]


def detect_escalation_then_bulk_read(inputs: Inputs) -> list[FindingDraft]:
    s, period = inputs.settings.escalation_then_bulk_read, inputs.period
    found = []
    with inputs.ctx.store.engine.connect() as conn:
        rows = conn.execute(
            GRANTS, {"since": shift(period.since, -s.within_hours), "until": period.until}
        ).all()
        for grant in filter(None, (_grant(row) for row in rows)):
            end = min(shift(grant.time, s.within_hours), period.until)
            data_reads, log_reads = reads_between(conn, grant.account, grant.time, end)
            observed = data_reads + log_reads
            if observed < s.min_reads:
                continue
            hours = (parse_time(end) - parse_time(grant.time)).total_seconds() / 3600
            daily = _daily_reads(inputs, grant.account)
            verdict = judge(
                observed,
                daily.scaled(hours / 24),
                z_threshold=s.z_threshold,
                p_threshold=s.p_threshold,
                poisson_below=s.poisson_below,
            )
            if verdict.fired:
                reads = (data_reads, log_reads)
                found.append(_finding(grant, end, hours, reads, daily, verdict))
    return found


def gained_permissions(role: str, roles: tuple[str, ...]) -> tuple[str, ...]:
    """Permissions the account has with `roles` that it lacked without `role`."""
    after = frozenset().union(*(ROLE_PERMISSIONS.get(r, frozenset()) for r in roles))
    before = frozenset().union(*(ROLE_PERMISSIONS.get(r, frozenset()) for r in roles if r != role))
    return tuple(sorted(after - before))


def _grant(row: Any) -> Grant | None:
    """The grant an entry records, when it succeeded and added permissions."""
    action = json.loads(row.payload).get("run", {}).get("facets", {}).get("mlaudit_user_action")
    if not isinstance(action, dict) or action.get("outcome", "success") != "success":
        return None
    details, target = action.get("details") or {}, action.get("target") or {}
    role, roles = details.get("role"), tuple(details.get("roles") or ())
    if not isinstance(role, str) or not target.get("name"):
        return None
    gained = gained_permissions(role, roles or (role,))
    if not gained:
        return None
    return Grant(row.seq, row.event_time, row.actor, target["name"], role, roles, gained)


def _daily_reads(inputs: Inputs, account: str) -> Baseline:
    usual = inputs.history.daily(account, READS)
    return Baseline.of([usual.get(day, 0) for day in inputs.history_days(account)])


def _finding(
    grant: Grant,
    end: str,
    hours: float,
    reads: tuple[int, int],
    daily: Baseline,
    verdict: Verdict,
) -> FindingDraft:
    observed, expected = sum(reads), daily.scaled(hours / 24).median
    explanation = (
        f"Role {grant.role!r} was granted to this account at {grant.time}, adding "
        f"{', '.join(grant.gained)}; in the {hours:g} h after it the account made {observed} "
        f"reads ({reads[0]} dataset reads, {reads[1]} reads of the audit log). Baseline: median "
        f"{daily.median:g} reads per day over the {daily.periods} days before the window "
        f"(MAD {daily.mad:g}, mean {daily.mean:.1f}), {expected:.1f} expected in "
        f"{hours:g} h; {verdict.describe()}."
    )
    return anomaly(
        RULE,
        "high",
        actor_subject(grant.account),
        f"Role {grant.role!r} granted, then {observed} reads within {_duration(hours)}",
        explanation,
        {
            "account": grant.account,
            "grant": {
                "seq": grant.seq,
                "time": grant.time,
                "by": grant.by,
                "role": grant.role,
                "roles": list(grant.roles),
                "gained_permissions": list(grant.gained),
            },
            "interval": {"after": grant.time, "until": end, "hours": round(hours, 3)},
            "observed": {"reads": observed, "dataset_reads": reads[0], "log_reads": reads[1]},
            "baseline": {**daily.as_dict(), "unit": "reads/day"},
            "expected_in_interval": round(expected, 4),
            "verdict": verdict.as_dict(),
        },
        occurred_at=grant.time,
        dedupe=f"grant:{grant.seq}",
    )


def _duration(hours: float) -> str:
    """A reader's duration: 40 s, 12 min, 3.5 h."""
    seconds = hours * 3600
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{hours:.1f} h"
