"""What the detectors share: the settings, the period, and the access profiles loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lineage.findings.draft import FindingDraft
from lineage.review.anomalies.access import AccessProfile, Actors, load_profile
from lineage.review.anomalies.period import Period
from lineage.review.anomalies.settings import AnomalySettings
from lineage.review.context import ReviewContext


@dataclass(frozen=True)
class Inputs:
    ctx: ReviewContext
    settings: AnomalySettings
    period: Period
    window: AccessProfile
    history: AccessProfile
    seen: dict[str, str]

    @classmethod
    def load(cls, ctx: ReviewContext, settings: AnomalySettings) -> Inputs:
        period = Period.of(ctx.window, settings.lookback_days)
        with ctx.store.engine.connect() as conn:
            actors = Actors(conn)
            window = load_profile(conn, actors, period.since, period.until)
            history = load_profile(conn, actors, period.base_since, period.base_until)
        return cls(ctx, settings, period, window, history, actors.first_seen)

    def history_days(self, actor: str) -> list[str]:
        """The baseline days this actor existed on: from its first sighting, at most lookback."""
        known = [t for t in (self.seen.get(actor), self.history.first_in(actor, "")) if t]
        return self.period.history_days(min(known) if known else None)


def anomaly(
    rule: str,
    severity: str,
    subject: str,
    title: str,
    explanation: str,
    evidence: dict[str, Any],
    *,
    occurred_at: str | None,
    dedupe: str,
) -> FindingDraft:
    return FindingDraft(
        kind="anomaly",
        rule=rule,
        severity=severity,
        subject=subject,
        title=title,
        explanation=explanation,
        evidence=evidence,
        occurred_at=occurred_at,
        dedupe=dedupe,
    )


def actor_subject(actor: str) -> str:
    return f"actor:{actor}"


def counted(n: float, noun: str) -> str:
    """ "1 access", "3 accesses" (nouns of this review: plural by -s or -es)."""
    if n == 1:
        return f"1 {noun}"
    return f"{n:g} {noun}{'es' if noun.endswith('s') else 's'}"
