"""The Compliance reports page on the seeded demo store, run directly from its file: issuing a
report for a period, the list, verification status, downloads, and who may see it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest
from ui_helpers import page_text, principal, user_actions

from lineage.report import list_reports, verify_text
from lineage.store import AuditStore

PAGE = Path(__file__).resolve().parents[2] / "ui" / "app_pages" / "reports.py"


@pytest.fixture
def page(ui_url: str) -> Callable[[str], AppTest]:
    def make(name: str) -> AppTest:
        at = AppTest.from_file(str(PAGE), default_timeout=60)
        at.session_state["mlaudit_principal"] = principal(name)
        at.session_state["mlaudit_last_seen"] = time.monotonic()
        return at.run()

    return make


def issue(at: AppTest) -> AppTest:
    [submit] = [b for b in at.button if "Issue signed report" in b.label]
    submit.click().run()
    assert not at.exception, at.exception
    return at


def test_an_auditor_issues_and_verifies_a_report(page, ui_store: AuditStore) -> None:  # type: ignore[no-untyped-def]
    at = page("aud")
    assert [t.value for t in at.title] == ["Compliance reports"]
    assert "No compliance report has been issued yet" in page_text(at)
    issue(at)
    [row] = list_reports(ui_store.engine)
    text_now = page_text(at)
    assert f"Issued report #{row['id']}" in text_now
    assert "Signature verifies" in text_now and "which is in this log" in text_now
    assert "signature checked under the pinned key" in text_now.lower()
    assert {m.label: m.value for m in at.metric}["New model versions"] == "2"
    [issued] = user_actions(ui_store, "report.issued")
    assert issued["details"]["sha256"] == row["sha256"]
    assert user_actions(ui_store, "ui.view.report")[-1]["target"]["name"] == str(row["id"])


def test_the_downloadable_page_verifies_on_its_own(page, ui_store: AuditStore) -> None:  # type: ignore[no-untyped-def]
    at = issue(page("aud"))
    from lineage.report import load_report, render_html

    envelope = load_report(ui_store.engine, list_reports(ui_store.engine)[0]["id"])
    assert verify_text(render_html(envelope), html=True).ok
    assert len(at.get("download_button")) == 2, "HTML and JSON downloads are offered"


def test_a_report_changed_in_the_database_is_shown_as_failing(page, ui_store: AuditStore) -> None:  # type: ignore[no-untyped-def]
    issue(page("aud"))
    with ui_store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER compliance_reports_no_update"))
        conn.execute(
            text("UPDATE compliance_reports SET body = replace(body, 'production', 'staging')")
        )
    at = page("aud")
    assert any("does not verify" in e.value and "sha256 differs" in e.value for e in at.error)


@pytest.mark.parametrize("name", ["vic", "eng"])
def test_roles_without_read_findings_are_refused(page, ui_store: AuditStore, name: str) -> None:  # type: ignore[no-untyped-def]
    at = page(name)
    assert any("Not allowed" in e.value for e in at.error)
    assert not at.button and not at.dataframe
    assert user_actions(ui_store, "ui.view.reports")[-1]["outcome"] == "denied"


def test_an_admin_may_issue_too(page) -> None:  # type: ignore[no-untyped-def]
    assert any("Issue signed report" in b.label for b in page("ada").button)
