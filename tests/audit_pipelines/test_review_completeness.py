"""Capture completeness against a real Dagster instance and a real audit store: gaps, deleted
runs and a stalled capture are found; a fully captured history raises nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest_capture import (  # noqa: F401 - fixtures are used by name
    audit_store_fixture,
    burst_job,
    capture_home_fixture,
    instance_fixture,
    store_url_fixture,
)
from dagster import DagsterInstance

from audit_pipelines.capture.sensor import capture_until_idle
from audit_pipelines.review.completeness import completeness_review, lag_minutes
from lineage.findings.draft import FindingDraft
from lineage.review.config import ReviewConfigError
from lineage.review.context import ReviewContext, ReviewWindow
from lineage.store import AuditStore
from lineage.timeutil import now_store_time, to_store_time


def review(
    instance: DagsterInstance, store: AuditStore, *, later: timedelta = timedelta(), **config: int
) -> list[FindingDraft]:
    now = datetime.now(UTC) + later
    ctx = ReviewContext(
        store=store,
        window=ReviewWindow(since=None, until=to_store_time(now)),
        now=to_store_time(now),
        config={"completeness": config} if config else {},
    )
    return completeness_review(instance)(ctx)


def rules(findings: list[FindingDraft]) -> list[str]:
    return sorted(f.rule for f in findings)


def test_fully_captured_history_raises_nothing(instance, audit_store) -> None:
    burst_job(3).execute_in_process(instance=instance)
    capture_until_idle(instance, None, audit_store)
    assert review(instance, audit_store, later=timedelta(hours=2)) == []


def test_events_the_capture_skipped_are_named(instance, audit_store, tmp_path) -> None:
    skipped = burst_job(4).execute_in_process(instance=instance).run_id
    # Someone sets the sensor's cursor past the first run (as `dagster sensor cursor --set`
    # does): here, the cursor a capture into another store reached.
    elsewhere = AuditStore.open(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    forward, _ = capture_until_idle(instance, None, elsewhere)
    kept = burst_job(2).execute_in_process(instance=instance).run_id
    capture_until_idle(instance, None, audit_store, cursor=forward)
    findings = review(instance, audit_store)
    assert rules(findings) == ["completeness.missing_in_log"]
    gap = findings[0]
    assert gap.subject == f"run:{skipped}" and kept not in gap.subject
    named = {(i["event_type"], i["asset_key"]) for i in gap.evidence["items"]}
    assert ("ASSET_MATERIALIZATION", "burst_a") in named
    assert ("RUN_SUCCESS", None) in named
    assert all(isinstance(i["storage_id"], int) for i in gap.evidence["items"])


def test_a_run_deleted_from_dagster_is_found(instance, audit_store) -> None:
    deleted = burst_job(2).execute_in_process(instance=instance).run_id
    burst_job(1).execute_in_process(instance=instance)
    capture_until_idle(instance, None, audit_store)
    instance.delete_run(deleted)
    findings = review(instance, audit_store)
    assert rules(findings) == ["completeness.missing_in_dagster"]
    assert findings[0].subject == f"run:{deleted}"
    assert findings[0].evidence["run_deleted"] is True
    assert len(findings[0].evidence["log_seqs"]) >= 4  # start, two materializations, success


def test_uncaptured_events_are_lag_once_older_than_the_allowance(instance, audit_store) -> None:
    burst_job(2).execute_in_process(instance=instance)
    assert review(instance, audit_store) == []  # just happened: in flight, not a finding
    stalled = review(instance, audit_store, later=timedelta(minutes=45), lag_minutes=30)
    assert rules(stalled) == ["completeness.capture_lag"]
    assert stalled[0].evidence["pending"] >= 4
    assert review(instance, audit_store, later=timedelta(minutes=45), lag_minutes=60) == []


def test_lag_allowance_is_checked() -> None:
    assert lag_minutes({}) == 30
    with pytest.raises(ReviewConfigError, match=r"completeness\.lag_minutes"):
        lag_minutes({"lag_minutes": 0})
    with pytest.raises(ReviewConfigError, match=r"completeness\.lag:"):
        lag_minutes({"lag": 5})


def test_window_limits_what_is_reviewed(instance, audit_store) -> None:
    deleted = burst_job(1).execute_in_process(instance=instance).run_id
    capture_until_idle(instance, None, audit_store)
    instance.delete_run(deleted)
    later = now_store_time()
    ctx = ReviewContext(store=audit_store, window=ReviewWindow(later, later), now=later)
    assert completeness_review(instance)(ctx) == []
