"""The Findings page on the seeded demo store: counts, filters, one finding in full, and triage
by the roles that may (each change an audit event, by pseudonym).

The findings are real rows recorded through `record_findings` from drafts this test builds: the
reviews that produce them in production are built in parallel, and the page must not depend on
which of them a seeded store has run.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from ui_helpers import MODEL, live_version, page_text, user_actions

from lineage.accounts.service import set_roles
from lineage.authz import Principal
from lineage.cli.session import LOCAL_OPERATOR
from lineage.findings import FindingDraft, list_findings, record_findings
from lineage.privacy import pseudonym_for
from lineage.store import AuditStore

REVIEWER = Principal(name="review-runner", roles=("auditor",), kind="service")


def drafts(store: AuditStore) -> list[FindingDraft]:
    person = pseudonym_for("alice", store.keys.pseudonym_key())
    deployed_version = live_version(store)
    return [
        FindingDraft(
            kind="policy",
            rule="policy.deployed_without_evaluation",
            severity="critical",
            subject=f"model:dagster/{MODEL}@{deployed_version}",
            title="Production serves a version nobody evaluated",
            explanation="The deployment names a version that no evaluation run read.",
            evidence={"environment": "production", "version": deployed_version},
        ),
        FindingDraft(
            kind="anomaly",
            rule="anomaly.access_volume",
            severity="medium",
            subject=f"actor:{person}",
            title="Unusually many reads in one day",
            explanation="42 reads against a baseline of 3 ± 1.",
            evidence={"observed": 42, "baseline": 3, "actor": person},
        ),
    ]


def recorded(store: AuditStore) -> dict[str, int]:
    record_findings(store, drafts(store), review="tests", principal=REVIEWER)
    return {f.rule: f.id for f in list_findings(store.engine)}


def open_findings(at: AppTest) -> AppTest:
    at.switch_page("app_pages/findings.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Findings"]
    return at


def pick(at: AppTest, finding_id: int) -> AppTest:
    at.selectbox(key="findings_pick").select(finding_id).run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def test_an_auditor_reads_and_triages_a_finding(  # type: ignore[no-untyped-def]
    app,
    ui_store: AuditStore,
    deployed_version: str,
) -> None:
    ids = recorded(ui_store)
    at = open_findings(app("aud"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Critical"] == "1" and metrics["Medium"] == "1" and metrics["Open"] == "2"
    listed = at.dataframe[0].value
    assert listed["rule"].tolist()[:2] == [
        "policy.deployed_without_evaluation",
        "anomaly.access_volume",
    ]
    critical = ids["policy.deployed_without_evaluation"]
    pick(at, critical)
    text = page_text(at)
    assert "no evaluation run read" in text and deployed_version in text
    assert "finding.opened" in at.dataframe[1].value["change"].tolist()
    click(at, "Resolve")  # without a note: refused, nothing changes
    assert any("needs a note" in e.value for e in at.error)
    at.text_area(key="findings_note").input("evaluated after the fact: run 7")
    click(at, "Resolve")
    assert any(f"Finding {critical} is now resolved" in s.value for s in at.success)
    assert critical not in at.dataframe[0].value["id"].tolist(), "resolved leaves the default list"
    aud = pseudonym_for("aud", ui_store.keys.pseudonym_key())
    (resolved,) = user_actions(ui_store, "finding.resolved")
    assert resolved["actor"] == aud
    assert resolved["details"]["note"] == "evaluated after the fact: run 7"
    views = user_actions(ui_store, "ui.view.findings")
    assert views and views[-1]["details"]["finding"] == critical


def test_status_filter_and_acknowledge(app, ui_store: AuditStore) -> None:  # type: ignore[no-untyped-def]
    ids = recorded(ui_store)
    at = open_findings(app("ada"))
    anomaly = ids["anomaly.access_volume"]
    pick(at, anomaly)
    click(at, "Acknowledge")
    assert [f.status for f in list_findings(ui_store.engine, kind="anomaly")] == ["acknowledged"]
    assert next(b for b in at.button if b.label == "Acknowledge").disabled
    at.multiselect(key="findings_status").set_value(["resolved"]).run()
    assert any("No finding matches" in i.value for i in at.info)
    at.multiselect(key="findings_status").set_value(["acknowledged"]).run()
    assert at.dataframe[0].value["id"].tolist() == [anomaly]


def test_a_role_revoked_before_the_click_is_refused_and_recorded(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st

    ids = recorded(ui_store)
    at = pick(open_findings(app("aud")), ids["anomaly.access_volume"])
    set_roles(ui_store, LOCAL_OPERATOR, "aud", "viewer", grant=True)
    set_roles(ui_store, LOCAL_OPERATOR, "aud", "auditor", grant=False)
    st.cache_data.clear()  # the app re-reads accounts at most 30 s later; do not wait here
    click(at, "Acknowledge")
    assert {f.status for f in list_findings(ui_store.engine)} == {"open"}
    (refused,) = user_actions(ui_store, "finding.acknowledged")
    assert refused["outcome"] == "denied"
    assert refused["actor"] == pseudonym_for("aud", ui_store.keys.pseudonym_key())


@pytest.mark.parametrize("name", ["eng", "vic"])
def test_roles_without_the_permission_have_no_findings_page(app, name: str) -> None:  # type: ignore[no-untyped-def]
    at = app(name)
    with pytest.raises(ValueError, match="registered"):
        at.switch_page("app_pages/findings.py")
