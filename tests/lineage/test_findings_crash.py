"""A crash between a finding's audit event and its row change: the next attempt completes the
change the log records, and never records it twice. The crash is simulated by making the row
write fail after the event was committed (the process dies there as far as the table knows)."""

from __future__ import annotations

import pytest
from test_findings import ALICE, REVIEWER, draft, finding_events, only_finding, record

from lineage.findings import FindingError, change_status, list_findings, record_findings
from lineage.findings import record as record_module
from lineage.findings import triage as triage_module
from lineage.findings.transitions import transition_event
from lineage.store import AuditStore


class Crash(Exception):
    pass


def crash(*_args: object, **_kwargs: object) -> None:
    raise Crash("the process died here")


def actions(store: AuditStore) -> list[str]:
    return [e["action"] for e in finding_events(store)]


def crashed_resolve(store: AuditStore, monkeypatch: pytest.MonkeyPatch) -> int:
    """An open finding whose resolve was logged, then the process died: its id."""
    record(store, draft())
    finding = only_finding(store)
    with monkeypatch.context() as patch:
        patch.setattr(triage_module, "apply_transition", crash)
        with pytest.raises(Crash):
            change_status(store, ALICE, finding.id, "resolved", note="fixed")
    return finding.id


def test_a_resolve_that_crashed_is_completed_by_its_rerun(
    store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    finding_id = crashed_resolve(store, monkeypatch)
    assert only_finding(store).status == "open"
    assert actions(store) == ["finding.opened", "finding.resolved"]
    again = change_status(store, ALICE, finding_id, "resolved", note="fixed")
    assert again.status == "resolved" and again.resolution_note == "fixed"
    assert actions(store) == ["finding.opened", "finding.resolved"], "recorded twice"
    assert again.status_seq == finding_events(store)[-1]["seq"]


def test_another_change_after_a_crash_sees_the_logged_one_first(
    store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    finding_id = crashed_resolve(store, monkeypatch)
    with pytest.raises(FindingError, match="is resolved: it cannot become acknowledged"):
        change_status(store, ALICE, finding_id, "acknowledged")
    assert only_finding(store).status == "resolved"
    assert actions(store) == ["finding.opened", "finding.resolved"]


def test_a_crash_before_the_event_leaves_nothing(
    store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(store, draft())
    finding = only_finding(store)
    with monkeypatch.context() as patch:
        patch.setattr(store, "ingest", crash)
        with pytest.raises(Crash):
            change_status(store, ALICE, finding.id, "acknowledged")
    assert only_finding(store).status == "open" and actions(store) == ["finding.opened"]
    assert change_status(store, ALICE, finding.id, "acknowledged").status == "acknowledged"
    assert actions(store) == ["finding.opened", "finding.acknowledged"]


def test_a_review_run_that_crashed_after_opening_is_repaired_by_the_next(
    store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(record_module, "_insert", crash)
        with pytest.raises(Crash):
            record(store, draft(), draft("policy.other"))
    assert list_findings(store.engine) == [] and len(actions(store)) == 2
    outcome = record(store, draft(), draft("policy.other"))
    assert (outcome.opened, outcome.repaired) == (2, 2)
    assert actions(store) == ["finding.opened", "finding.opened"], "opened twice"
    opened = {e["target"]["rule"]: e["seq"] for e in finding_events(store)}
    assert {f.rule: f.opened_seq for f in list_findings(store.engine)} == opened


def test_a_reopen_that_crashed_is_applied_by_the_next_run(
    store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(store, draft())
    finding = only_finding(store)
    change_status(store, ALICE, finding.id, "resolved", note="fixed")
    with monkeypatch.context() as patch:
        patch.setattr(record_module, "apply_transition", crash)
        with pytest.raises(Crash):
            record(store, draft())
    assert only_finding(store).status == "resolved"
    outcome = record(store, draft())
    assert (outcome.reopened, outcome.seen_again, outcome.repaired) == (0, 1, 1)
    assert only_finding(store).status == "open"
    assert actions(store) == ["finding.opened", "finding.resolved", "finding.reopened"]


def test_an_ingested_event_with_a_guessed_run_id_changes_nothing(store: AuditStore) -> None:
    record(store, draft())
    finding = only_finding(store)
    target = {"fingerprint": finding.fingerprint, "rule": finding.rule, "subject": finding.subject}
    forged = transition_event(ALICE, "finding.resolved", target, 2, {"note": "nothing to see"})
    store.ingest([forged], submitter="mallory")  # through the API: a submitter is recorded
    record_findings(store, [draft()], review="policies", principal=REVIEWER)
    assert only_finding(store).status == "open"
    acked = change_status(store, ALICE, finding.id, "acknowledged")
    assert acked.status == "acknowledged" and acked.status_seq == finding_events(store)[-1]["seq"]
