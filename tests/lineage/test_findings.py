"""Findings on SQLite and PostgreSQL: deduplication across review runs, reopening, triage, and the
audit events each change leaves in the log (pseudonymized), exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.authz import Principal
from lineage.findings import (
    FindingDraft,
    FindingError,
    FindingNotFound,
    change_status,
    finding_counts,
    finding_history,
    get_finding,
    list_findings,
    record_findings,
)
from lineage.privacy import pseudonym_for
from lineage.store import AuditStore

REVIEWER = Principal(name="review-runner", roles=("auditor",), kind="service")
ALICE = Principal(name="alice", roles=("auditor",), kind="user")


def draft(rule: str = "policy.deployed_without_evaluation", **changes: Any) -> FindingDraft:
    values: dict[str, Any] = {
        "kind": "policy",
        "rule": rule,
        "severity": "high",
        "subject": "model:demo/breast_cancer_model@7b200fec",
        "title": "Deployed without an evaluation",
        "explanation": "production serves a version no evaluation run read",
        "evidence": {"deployment_seq": 12, "environment": "production"},
        "occurred_at": "2026-01-02T03:04:05.000000Z",
    }
    return FindingDraft(**{**values, **changes})


def finding_events(store: AuditStore) -> list[dict[str, Any]]:
    """The findings' audit events in log order: action, actor as stored, target, details."""
    found = []
    for entry in store.entries():
        facet = entry["event"]["run"]["facets"].get("mlaudit_user_action") or {}
        if facet.get("action", "").startswith("finding."):
            found.append({**facet, "actor": entry["actor"], "seq": entry["seq"]})
    return found


def record(store: AuditStore, *drafts: FindingDraft, review: str = "policies") -> Any:
    return record_findings(store, list(drafts), review=review, principal=REVIEWER)


def only_finding(store: AuditStore) -> Any:
    (finding,) = list_findings(store.engine)
    return finding


def test_the_same_finding_across_runs_is_one_row_and_one_event(store: AuditStore) -> None:
    first = record(store, draft(), draft())  # named twice in one run: seen once
    assert (first.opened, first.seen_again, first.reopened) == (1, 0, 0)
    later = draft(severity="critical", evidence={"deployment_seq": 40})
    second = record(store, later)
    assert (second.opened, second.seen_again, second.reopened) == (0, 1, 0)
    finding = only_finding(store)
    assert second.finding_ids == first.finding_ids == (finding.id,)
    assert finding.occurrences == 2 and finding.status == "open"
    assert finding.first_seen <= finding.last_seen
    # The finding reads as the review last saw it.
    assert finding.severity == "critical" and finding.evidence == {"deployment_seq": 40}
    (opened,) = finding_events(store)  # seeing it again is not an event
    assert opened["action"] == "finding.opened" and opened["actor"] == REVIEWER.name
    assert opened["target"] == {
        "kind": "finding",
        "name": finding.fingerprint,
        "finding": finding.fingerprint,
        "rule": "policy.deployed_without_evaluation",
        "subject": "model:demo/breast_cancer_model@7b200fec",
    }
    assert opened["details"]["severity"] == "high" and opened["details"]["kind"] == "policy"
    assert finding.opened_seq == finding.status_seq == opened["seq"]


def test_triage_changes_are_events_by_pseudonym(store: AuditStore) -> None:
    record(store, draft())
    finding = only_finding(store)
    acked = change_status(store, ALICE, finding.id, "acknowledged", note="looking into it")
    assert acked.status == "acknowledged" and acked.resolution_note is None
    resolved = change_status(store, ALICE, finding.id, "resolved", note="evaluated; see run 42")
    alice = pseudonym_for("alice", store.keys.pseudonym_key())
    assert resolved.status == "resolved" and resolved.status_by == alice
    assert resolved.resolution_note == "evaluated; see run 42"
    events = finding_events(store)
    assert [e["action"] for e in events] == [
        "finding.opened",
        "finding.acknowledged",
        "finding.resolved",
    ]
    assert [e["actor"] for e in events] == [REVIEWER.name, alice, alice]
    assert [e["details"].get("note") for e in events] == [
        None,
        "looking into it",
        "evaluated; see run 42",
    ]
    assert resolved.status_seq == events[-1]["seq"]
    assert not any('"alice"' in e["payload"] for e in store.entries()), "a plaintext name"
    history = finding_history(store.engine, finding.id)
    assert [(h.status, h.actor, h.seq) for h in history] == [
        ("open", REVIEWER.name, events[0]["seq"]),
        ("acknowledged", alice, events[1]["seq"]),
        ("resolved", alice, events[2]["seq"]),
    ]


def test_a_resolved_finding_that_fires_again_is_reopened(store: AuditStore) -> None:
    record(store, draft(), draft("policy.other"))
    resolved, acked = list_findings(store.engine)
    change_status(store, ALICE, resolved.id, "resolved", note="fixed")
    change_status(store, ALICE, acked.id, "acknowledged")
    outcome = record(store, draft(), draft("policy.other"))
    assert (outcome.opened, outcome.seen_again, outcome.reopened) == (0, 1, 1)
    reopened = get_finding(store.engine, resolved.id)
    still_acked = get_finding(store.engine, acked.id)
    assert reopened.status == "open" and reopened.status_by == REVIEWER.name
    assert reopened.resolution_note is None and reopened.occurrences == 2
    assert still_acked.status == "acknowledged" and still_acked.occurrences == 2
    actions = [e["action"] for e in finding_events(store)]
    assert actions.count("finding.reopened") == 1 and len(actions) == 5
    again = record(store, draft())  # open now: seen again, nothing logged
    assert (again.reopened, again.seen_again, len(finding_events(store))) == (0, 1, 5)


def test_refused_changes_name_the_problem_and_log_nothing(store: AuditStore) -> None:
    record(store, draft())
    finding = only_finding(store)
    with pytest.raises(FindingError, match=f"resolving finding {finding.id} needs a note"):
        change_status(store, ALICE, finding.id, "resolved", note="   ")
    with pytest.raises(FindingNotFound, match="no finding with id 999"):
        change_status(store, ALICE, 999, "acknowledged")
    with pytest.raises(FindingError, match=r"'open'.*choose acknowledged or resolved"):
        change_status(store, ALICE, finding.id, "open")
    change_status(store, ALICE, finding.id, "acknowledged")
    with pytest.raises(FindingError, match="is acknowledged: it cannot become acknowledged"):
        change_status(store, ALICE, finding.id, "acknowledged")
    change_status(store, ALICE, finding.id, "resolved", note="done")
    with pytest.raises(FindingError, match="is resolved: it cannot become acknowledged"):
        change_status(store, ALICE, finding.id, "acknowledged")
    assert len(finding_events(store)) == 3
    with pytest.raises(FindingNotFound, match="no finding with id 999"):
        get_finding(store.engine, 999)


def test_lists_filter_and_order_by_severity_then_recency(store: AuditStore) -> None:
    record(store, draft("policy.a", severity="low"), draft("policy.b", severity="critical"))
    record(store, draft("anomaly.c", kind="anomaly", severity="low"))
    rules = [f.rule for f in list_findings(store.engine)]
    assert rules == ["policy.b", "anomaly.c", "policy.a"]  # severity, then newest seen first
    assert [f.rule for f in list_findings(store.engine, kind="anomaly")] == ["anomaly.c"]
    assert len(list_findings(store.engine, severity=["low", "info"])) == 2
    b = list_findings(store.engine, severity="critical")[0]
    change_status(store, ALICE, b.id, "resolved", note="accepted risk")
    assert {f.rule for f in list_findings(store.engine, status=("open", "acknowledged"))} == {
        "policy.a",
        "anomaly.c",
    }
    assert list_findings(store.engine, since="2999-01-01") == []
    assert list_findings(store.engine, until="2000-01-01") == []
    assert len(list_findings(store.engine, since="2000-01-01", until="2999-01-01")) == 3
    counts = finding_counts(store.engine)
    assert counts.status == {"open": 2, "acknowledged": 0, "resolved": 1}
    assert counts.severity == {"critical": 0, "high": 0, "medium": 0, "low": 2, "info": 0}
    with pytest.raises(FindingError, match="unknown finding severity 'urgent'"):
        list_findings(store.engine, severity="urgent")
