"""Run reviews over a window and record what they find: the one path for schedules and the CLI.

Each review runs on its own: one that raises (a bug, a bad configuration, a database error) does
not stop the others. Its failure is reported in the run's result and also recorded as a finding,
`integrity.review_failed`, because a review that silently stops running is a gap in the audit an
auditor must see, and findings are what they read first.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from lineage.accounts.actions import record_user_action
from lineage.authz import Principal
from lineage.errors import AuditError
from lineage.findings.draft import FindingDraft
from lineage.review.context import Review, ReviewContext, ReviewWindow
from lineage.timeutil import now_store_time

SERVICE_PRINCIPAL = Principal(name="mlaudit-review", roles=("auditor",), kind="service")
COMPLETED_ACTION = "review.completed"
FAILED_RULE = "integrity.review_failed"


class UnknownReview(AuditError):
    """A review name that is neither built in nor supplied by the caller."""


@runtime_checkable
class ReviewOutcome(Protocol):
    """What a review may return instead of a plain list: its findings and its own evidence
    (the integrity review's new signed head), kept in the `review.completed` event."""

    findings: list[FindingDraft]

    def evidence(self) -> dict[str, Any]: ...


Returned = Iterable[FindingDraft] | ReviewOutcome


@dataclass(frozen=True)
class LazyReview:
    """A review named by module and function, imported when it first runs: a review whose
    module cannot be imported then fails alone instead of taking every other review with it."""

    module: str
    function: str

    def __call__(self, ctx: ReviewContext) -> Returned:
        review: Callable[[ReviewContext], Returned]
        review = getattr(importlib.import_module(self.module), self.function)
        return review(ctx)


AnyReview = Review | Callable[[ReviewContext], Returned]
REVIEWS: Mapping[str, AnyReview] = {
    # The outcome, not just the drafts: the head it signs belongs in the run's record.
    "integrity": LazyReview("lineage.review.integrity", "run_integrity_review"),
    "policies": LazyReview("lineage.review.policies", "review_policies"),
    "anomalies": LazyReview("lineage.review.anomalies", "review_anomalies"),
    "retention": LazyReview("lineage.review.retention", "review_retention"),
}


@dataclass(frozen=True)
class ReviewResult:
    """What one review did: drafts it returned and how the store took them, or its error."""

    name: str
    drafts: int = 0
    opened: int = 0
    seen_again: int = 0
    reopened: int = 0
    error: str | None = None
    evidence: dict[str, Any] | None = None  # a review's own record, when it returns one

    def as_dict(self) -> dict[str, Any]:
        counts = {
            "review": self.name,
            "drafts": self.drafts,
            "opened": self.opened,
            "seen_again": self.seen_again,
            "reopened": self.reopened,
            "error": self.error,
        }
        return counts if self.evidence is None else {**counts, "evidence": self.evidence}


@dataclass(frozen=True)
class ReviewRun:
    window: ReviewWindow
    now: str
    results: tuple[ReviewResult, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(result.error is None for result in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.window.since,
            "until": self.window.until,
            "now": self.now,
            "ok": self.ok,
            "reviews": [result.as_dict() for result in self.results],
        }


def resolve_reviews(
    names: Iterable[str], extra: Mapping[str, AnyReview] | None = None
) -> dict[str, AnyReview]:
    """name -> review for the names asked (all built-in and extra ones when none are)."""
    known = {**REVIEWS, **(extra or {})}
    asked = list(names) or list(known)
    unknown = [name for name in asked if name not in known]
    if unknown:
        raise UnknownReview(
            f"no review named {', '.join(unknown)}; reviews: {', '.join(sorted(known))}"
        )
    return {name: known[name] for name in dict.fromkeys(asked)}


def run_reviews(
    store: Any,
    names: Iterable[str],
    window: ReviewWindow,
    principal: Principal,
    *,
    extra: Mapping[str, AnyReview] | None = None,
    config: Mapping[str, Any] | None = None,
    now: str | None = None,
) -> ReviewRun:
    """Run the named reviews (all when `names` is empty), record their findings, and record a
    `review.completed` user action carrying the per-review counts."""
    reviews = resolve_reviews(names, extra)
    if config is None:
        config = _default_config()
    ctx = ReviewContext(store=store, window=window, now=now or now_store_time(), config=config)
    results = tuple(_run_one(ctx, name, review, principal) for name, review in reviews.items())
    run = ReviewRun(window=window, now=ctx.now, results=results)
    record_user_action(
        store,
        principal,
        COMPLETED_ACTION,
        {"kind": "review", "name": ",".join(reviews)},
        outcome="success" if run.ok else "failed",
        details=run.as_dict(),
    )
    return run


def _run_one(
    ctx: ReviewContext, name: str, review: AnyReview, principal: Principal
) -> ReviewResult:
    from lineage.findings import record_findings

    try:
        drafts, evidence = _drafts_and_evidence(review(ctx))
        outcome = record_findings(ctx.store, drafts, review=name, principal=principal)
    except Exception as error:  # one review's failure must not stop the others
        message = f"{type(error).__name__}: {error}"
        try:
            record_findings(
                ctx.store, [failure_draft(name, message, ctx)], review=name, principal=principal
            )
        except Exception as second:  # the first error is the one to report
            message += f" (and recording the failure failed: {type(second).__name__}: {second})"
        return ReviewResult(name=name, error=message)
    return ReviewResult(
        name=name,
        drafts=len(drafts),
        opened=outcome.opened,
        seen_again=outcome.seen_again,
        reopened=outcome.reopened,
        evidence=evidence,
    )


def _drafts_and_evidence(returned: Returned) -> tuple[list[FindingDraft], dict[str, Any] | None]:
    if isinstance(returned, ReviewOutcome):
        return list(returned.findings), returned.evidence()
    return list(returned), None


def failure_draft(name: str, message: str, ctx: ReviewContext) -> FindingDraft:
    """A review that could not run: the period it should have covered went unreviewed."""
    return FindingDraft(
        kind="integrity",
        rule=FAILED_RULE,
        severity="high",
        subject=f"review:{name}",
        title=f"The {name} review failed and did not review the period",
        explanation=(
            f"The {name} review raised an error, so nothing it checks was checked for "
            f"{ctx.window.since or 'the beginning'} .. {ctx.window.until}: {message}"
        ),
        evidence={
            "review": name,
            "error": message,
            "since": ctx.window.since,
            "until": ctx.window.until,
        },
        occurred_at=ctx.now,
        dedupe=message[:500],
    )


def _default_config() -> Mapping[str, Any]:
    from lineage.review.config import load_review_config
    from lineage.settings import Settings

    return load_review_config(Settings.from_env())
