"""Compliance reports on SQLite and PostgreSQL: the figures of a staged history, exactly, and the
report stored, recorded and written as JSON and HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scenario import ml_history
from sqlalchemy import exc, text

from lineage.accounts.service import add_user
from lineage.authz import Principal
from lineage.cli.session import LOCAL_OPERATOR
from lineage.findings import FindingDraft, change_status, list_findings, record_findings
from lineage.merkle.entries import entries_bytes
from lineage.merkle.hashing import leaf_hash
from lineage.privacy import pseudonym_for
from lineage.report import build_report, issue_report, list_reports, load_report, verify_file
from lineage.store import AuditStore
from lineage.timeutil import to_store_time

JAN_1, JAN_3, JAN_5 = "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-05T00:00:00Z"
AUDITOR = Principal(name="aud", roles=("auditor",), kind="user")


@pytest.fixture
def staged(store: AuditStore, kit) -> AuditStore:  # type: ignore[no-untyped-def]
    """The ML history; alice has an ml_engineer account, bob, carol and dave have none."""
    add_user(store, LOCAL_OPERATOR, "alice", ["ml_engineer"], password="pw-alice-123456")
    store.ingest(ml_history(kit))
    return store


def psn(store: AuditStore, name: str) -> str:
    return pseudonym_for(name, store.keys.pseudonym_key())


def test_figures_of_a_staged_history(staged: AuditStore) -> None:
    alice, bob = psn(staged, "alice"), psn(staged, "bob")
    body = build_report(staged, JAN_1, JAN_3, generated_by=AUDITOR)
    assert body["period"] == {
        "since": "2026-01-01T00:00:00.000000Z",
        "until": "2026-01-03T00:00:00.000000Z",
    }
    assert body["generated_by"] == {
        "subject": psn(staged, "aud"),
        "kind": "user",
        "roles": ["auditor"],
    }
    assert body["activity"] == {
        "entries": 8,
        "first_seq": 2,  # seq 1 is alice's account creation, in November
        "last_seq": 9,
        "by_category": {"data_access": 8, "deployment": 2, "evaluation": 1, "model_development": 2},
    }
    assert [
        (m["version"], m["training_run"]["by"], m["training_data"]) for m in body["models"]
    ] == [
        ("m1", alice, ["test/clean@c1"]),
        ("m2", bob, ["test/clean@c2"]),
    ]
    assert body["models"][1]["training_run"]["algorithm"] == "random_forest"
    assert [(d["version"], d["action"], d["by"]) for d in body["deployments"]] == [
        ("m1", "deploy", alice),
        ("m2", "update", bob),
    ]
    [evaluation] = body["evaluations"]
    assert (evaluation["version"], evaluation["by"], evaluation["metrics"]) == (
        "m1",
        alice,
        {"accuracy": 0.95},
    )
    assert body["access_by_role"] == {
        "ml_engineer": {"actors": 1, "data_access": {"create": 3, "read": 5}, "user_actions": 0},
        "no account": {"actors": 1, "data_access": {"modify": 2, "read": 3}, "user_actions": 0},
    }
    assert [(p["actor"], p["roles"], p["entries"]) for p in body["people"]] == sorted(
        [(alice, ["ml_engineer"], 5), (bob, [], 3)]
    )
    assert "alice" not in str(body) and "bob" not in str(body), "people appear as pseudonyms only"


def test_record_keeping_answers_article_12(staged: AuditStore) -> None:
    alice, bob, carol = psn(staged, "alice"), psn(staged, "bob"), psn(staged, "carol")
    body = build_report(staged, JAN_1, JAN_5, generated_by=AUDITOR)
    rk = body["record_keeping"]
    [system] = rk["period_of_use"]
    assert (system["model"], system["environment"]) == ("test/model", "production")
    assert [(u["version"], u["from"][:16], u["to"][:16], u["open"]) for u in system["uses"]] == [
        ("m1", "2026-01-01T10:04", "2026-01-02T10:02", False),
        ("m2", "2026-01-02T10:02", "2026-01-03T09:00", False),
        ("m1", "2026-01-03T09:00", "2026-01-05T00:00", True),
    ]
    assert rk["reference_data"] == [
        {"model": "test/model", "version": "m1", "trained": ["test/clean@c1"], "evaluated": []},
        {"model": "test/model", "version": "m2", "trained": ["test/clean@c2"], "evaluated": []},
    ]
    assert [(c["name"], c["passed"]) for c in rk["input_data_checks"]] == [
        ("accuracy_at_least_0_9", True)
    ]
    assert {v["actor"]: v["did"] for v in rk["verified_by"]} == {
        alice: ["deploy test/model@m1 to production", "evaluated test/model@m1"],
        bob: ["update test/model@m2 to production"],
        carol: ["rollback test/model@m1 to production"],
    }
    fields = {f["ref"]: f["answered_by"] for f in body["eu_ai_act_art12"]["fields"]}
    assert fields["Art. 12(3)(a)"] == [{"section": "record_keeping.period_of_use", "records": 1}]
    assert fields["Art. 12(3)(d)"][0] == {"section": "record_keeping.verified_by", "records": 3}
    controls = {c["ref"] for c in body["iso_42001"]["controls"]}
    assert {"A.6.2.8", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.7.5"} == controls


def test_findings_and_their_resolution(staged: AuditStore) -> None:
    drafts = [
        FindingDraft("policy", f"policy.rule_{n}", "high", f"model:test/model@m{n}", f"t{n}", "e")
        for n in (1, 2)
    ]
    record_findings(staged, drafts, review="policies", principal=LOCAL_OPERATOR)
    first, second = sorted(v.id for v in list_findings(staged.engine))
    change_status(staged, AUDITOR, first, "resolved", note="rolled back to m1")
    change_status(staged, AUDITOR, second, "acknowledged")
    until = to_store_time(datetime.now(UTC) + timedelta(hours=1))
    findings = build_report(staged, JAN_1, until, generated_by=AUDITOR)["findings"]
    assert (
        findings["opened"],
        findings["resolved_in_period"],
        findings["acknowledged_in_period"],
    ) == (2, 1, 1)
    assert findings["by_status"] == {"acknowledged": 1, "resolved": 1}
    resolved = next(i for i in findings["items"] if i["id"] == first)
    assert (resolved["status_by"], resolved["resolution_note"]) == (
        psn(staged, "aud"),
        "rolled back to m1",
    )
    body = build_report(staged, JAN_1, until, generated_by=AUDITOR)
    verified = {v["actor"]: v["did"] for v in body["record_keeping"]["verified_by"]}
    assert f"resolved finding {first}" in verified[psn(staged, "aud")]
    assert build_report(staged, JAN_1, JAN_3, generated_by=AUDITOR)["findings"]["items"] == []


def staged_first_entry(store: AuditStore) -> bytes:
    with store.engine.connect() as conn:
        return next(entries_bytes(conn, 0, 1))


def test_integrity_evidence_links_the_period_heads(staged: AuditStore) -> None:
    issue_report(staged, JAN_1, JAN_3, AUDITOR, None)  # signs a head over the whole log
    body = build_report(staged, JAN_1, to_store_time(datetime.now(UTC)), generated_by=AUDITOR)
    integrity = body["integrity"]
    assert integrity["ok"] and integrity["problems"] == []
    heads = integrity["heads"]
    assert [h["id"] for h in heads["in_period"]] == [body["built_against"]["id"]]
    identity = body["store"]
    assert len(identity["first_entry_hash"]) == 64 and len(identity["first_leaf_hash"]) == 64
    assert identity["first_leaf_hash"] == leaf_hash(staged_first_entry(staged)).hex()


def test_issuing_stores_records_and_writes_the_report(staged: AuditStore, tmp_path: Path) -> None:
    issued = issue_report(staged, JAN_1, JAN_3, AUDITOR, tmp_path)
    assert issued.json_path.name == "report-20260101T000000Z-20260103T000000Z.json"
    assert issued.html_path.read_text().startswith("<!doctype html>")
    assert (
        "<script src" not in issued.html_path.read_text()
        and "http" not in issued.html_path.read_text().split("<script")[0]
    )
    [row] = list_reports(staged.engine)
    assert (row["id"], row["sha256"], row["period_since"]) == (
        issued.id,
        issued.sha256,
        "2026-01-01T00:00:00.000000Z",
    )
    assert load_report(staged.engine, issued.id) == issued.envelope
    for path in (issued.json_path, issued.html_path):
        check = verify_file(path, issued.envelope["public_key"], staged)
        assert check.ok and check.head_in_log, check.failures
    [event] = [e for e in staged.entries() if e["job_name"] == "report.issued"]
    facet = event["event"]["run"]["facets"]["mlaudit_user_action"]
    assert facet["details"]["sha256"] == issued.sha256
    assert facet["details"]["since"] == "2026-01-01T00:00:00.000000Z"
    assert event["actor"] == psn(staged, "aud")


def test_issued_reports_are_append_only(staged: AuditStore) -> None:
    issue_report(staged, JAN_1, JAN_3, AUDITOR, None)
    for statement in (
        "UPDATE compliance_reports SET sha256 = 'x'",
        "DELETE FROM compliance_reports",
    ):
        with pytest.raises(exc.DBAPIError, match="append-only"), staged.engine.begin() as conn:
            conn.execute(text(statement))


@pytest.mark.parametrize(("since", "until"), [(JAN_3, JAN_1), (JAN_1, JAN_1), ("yesterday", JAN_1)])
def test_a_bad_period_is_refused(staged: AuditStore, since: str, until: str) -> None:
    with pytest.raises(ValueError, match=r"period is empty|not an ISO-8601 time"):
        build_report(staged, since, until, generated_by=AUDITOR)
