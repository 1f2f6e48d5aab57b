"""The reviews as the Dagster jobs and `mlaudit review` run them: the core's reviews plus capture
completeness, which needs the Dagster instance. One function, so both paths run the same code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from dagster import DagsterInstance

from audit_pipelines.review.completeness import completeness_review
from lineage.authz import Principal
from lineage.review.context import ReviewWindow
from lineage.review.runner import REVIEWS, SERVICE_PRINCIPAL, ReviewRun, run_reviews
from lineage.store import AuditStore
from lineage.timeutil import parse_time, to_store_time

COMPLETENESS = "completeness"
REVIEW_NAMES = (*REVIEWS, COMPLETENESS)


def review_window(until: str | datetime, lookback: timedelta | None) -> ReviewWindow:
    """The period ending at `until` reaching back `lookback` (None: the whole history)."""
    end = parse_time(until) if isinstance(until, str) else until
    since = None if lookback is None else to_store_time(end - lookback)
    return ReviewWindow(since=since, until=to_store_time(end))


def run_review_jobs(
    store: AuditStore,
    instance: DagsterInstance,
    names: Iterable[str],
    window: ReviewWindow,
    principal: Principal = SERVICE_PRINCIPAL,
    *,
    config: Mapping[str, Any] | None = None,
    now: str | None = None,
) -> ReviewRun:
    """Run the named reviews (every one when `names` is empty) and record their findings."""
    extra = {COMPLETENESS: completeness_review(instance)}
    return run_reviews(store, list(names), window, principal, extra=extra, config=config, now=now)
