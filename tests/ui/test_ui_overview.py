"""The Overview opens with the unresolved findings for roles that read findings, and links to them;
other roles see nothing of findings. Findings are real rows recorded through `record_findings`."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_ui_findings import REVIEWER, drafts, recorded

from lineage.findings import change_status, list_findings, record_findings
from lineage.store import AuditStore


def findings_box(at: AppTest) -> dict[str, str]:
    assert not at.exception, at.exception
    assert "Unresolved findings" in [h.value for h in at.subheader]
    return {m.label: m.value for m in at.metric}


def test_an_auditor_sees_unresolved_findings_by_severity_first(app, ui_store: AuditStore) -> None:  # type: ignore[no-untyped-def]
    ids = recorded(ui_store)
    change_status(ui_store, REVIEWER, ids["anomaly.access_volume"], "acknowledged")
    at = app("aud")
    assert at.subheader[0].value == "Unresolved findings", "findings come first"
    metrics = findings_box(at)
    assert (metrics["Critical"], metrics["Medium"], metrics["High"]) == ("1", "1", "0")
    assert any("2 unresolved: 1 open, 1 acknowledged" in c.value for c in at.caption)
    (link,) = [p for p in at.page_link if p.value == "Open the findings"]
    assert link.proto.page.endswith("findings")
    at.switch_page("app_pages/findings.py").run()
    assert [t.value for t in at.title] == ["Findings"]


def test_resolved_findings_leave_the_overview(app, ui_store: AuditStore) -> None:  # type: ignore[no-untyped-def]
    record_findings(ui_store, drafts(ui_store)[:1], review="tests", principal=REVIEWER)
    (finding,) = list_findings(ui_store.engine)
    change_status(ui_store, REVIEWER, finding.id, "resolved", "fixed in run 7")
    at = app("ada")
    findings_box(at)
    assert any("No finding is open or acknowledged" in i.value for i in at.info)
    assert "Critical" not in {m.label for m in at.metric}


@pytest.mark.parametrize("name", ["eng", "vic"])
def test_roles_without_read_findings_see_nothing_of_findings(app, ui_store, name: str) -> None:  # type: ignore[no-untyped-def]
    recorded(ui_store)
    at = app(name)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Overview"]
    assert "Unresolved findings" not in [h.value for h in at.subheader]
    assert not at.page_link
    assert not {"Critical", "High", "Medium"} & {m.label for m in at.metric}
