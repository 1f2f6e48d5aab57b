"""Compliance reports: the signed reports issued per period, issuing one, downloads, checks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import streamlit as st

from lineage.authz import READ_FINDINGS, RUN_REVIEWS, PermissionDenied, Principal, is_allowed
from lineage.report import (
    default_period,
    envelope_json,
    issue_report,
    list_reports,
    load_report,
    period_label,
    render_html,
    verify_report,
)
from lineage.timeutil import parse_time
from ui import data, session
from ui.components.feedback import guard
from ui.components.format import frame, when

PICK = "reports_pick"


def record_export(principal: Principal, report_id: int, details: dict[str, Any]) -> None:
    """Download callback: every export is an audit event (recorded as the file leaves)."""
    session.record_action(
        principal, "ui.export.report", {"kind": "report", "name": str(report_id)}, details
    )


def issue_form(principal: Principal) -> None:
    if not is_allowed(principal, RUN_REVIEWS):
        st.caption("Issuing a report needs the run_reviews permission (auditors, admins).")
        return
    store = data.store()
    try:
        proposed = default_period(store)
        first, last = parse_time(proposed["since"]).date(), parse_time(proposed["until"]).date()
    except ValueError:  # nothing logged since the last report: offer the last week
        last = date.today()
        first = last - timedelta(days=7)
    with st.form("reports_issue"):
        left, right = st.columns(2)
        since = left.date_input("First day (UTC)", value=first, key="reports_since")
        until = right.date_input("Last day (UTC, included)", value=last, key="reports_until")
        submitted = st.form_submit_button("Issue signed report", icon=":material/draw:")
    if submitted:
        end = until + timedelta(days=1)
        issued = issue_report(store, f"{since}T00:00:00Z", f"{end}T00:00:00Z", principal, None)
        st.session_state[PICK] = issued.id
        st.success(f"Issued report #{issued.id} (SHA-256 {issued.sha256[:16]}…).")


def status(envelope: dict[str, Any]) -> None:
    pinned = data.log_public_key()
    check = verify_report(envelope, pinned, data.store())
    head = envelope["tree_head"] or {}
    if check.ok:
        st.success(
            f"Signature verifies; the report was built against signed tree head #{head.get('id')} "
            f"({head.get('tree_size', 0):,} entries), which is in this log.",
            icon=":material/verified:",
        )
    else:
        st.error("This report does not verify:\n" + "\n".join(f"- {f}" for f in check.failures))
    st.caption(f"{check.under.capitalize()}.")
    if not envelope["body"]["integrity"]["ok"]:
        st.warning("The log did not verify when this report was built: see its integrity section.")


def summary(body: dict[str, Any]) -> None:
    cols = st.columns(5)
    cols[0].metric("Log entries", body["activity"]["entries"])
    cols[1].metric("New model versions", len(body["models"]))
    cols[2].metric("Deployment actions", len(body["deployments"]))
    cols[3].metric("Evaluations", len(body["evaluations"]))
    cols[4].metric("Findings", len(body["findings"]["items"]))
    roles = [
        {"role": role, "actors": v["actors"], "user actions": v["user_actions"]}
        for role, v in body["access_by_role"].items()
    ]
    st.dataframe(frame(roles, ["role", "actors", "user actions"]), hide_index=True)


def downloads(principal: Principal, report_id: int, envelope: dict[str, Any]) -> None:
    stem = f"report-{period_label(envelope['body']['period'])}"
    files = (
        ("html", render_html(envelope), "text/html", ":material/download:", "primary"),
        (
            "json",
            envelope_json(envelope),
            "application/json",
            ":material/data_object:",
            "secondary",
        ),
    )
    for column, (fmt, content, mime, icon, kind) in zip(st.columns([1, 1, 2]), files, strict=False):
        column.download_button(
            f"Download report ({fmt.upper()})",
            content,
            file_name=f"{stem}.{fmt}",
            mime=mime,
            icon=icon,
            type=kind,
            on_click=record_export,
            args=(principal, report_id, {"sha256": envelope["sha256"], "format": fmt}),
        )


def issued_list(principal: Principal) -> None:
    rows = list_reports(data.store().engine)
    if not rows:
        st.info("No compliance report has been issued yet.")
        session.record_visit(principal, "ui.view.reports", "reports")
        return
    shown = [
        {**r, "since": when(r["period_since"]), "until": when(r["period_until"]),
         "issued": when(r["generated_at"]), "by": r["generated_by"]}
        for r in rows
    ]  # fmt: skip
    st.dataframe(frame(shown, ["id", "since", "until", "issued", "by", "sha256"]), hide_index=True)
    ids = [r["id"] for r in rows]
    labels = {
        r["id"]: f"#{r['id']}: {when(r['period_since'])} to {when(r['period_until'])}" for r in rows
    }
    chosen = st.selectbox("Report", ids, format_func=labels.__getitem__, key=PICK)
    session.record_view(principal, "ui.view.report", {"kind": "report", "name": str(chosen)})
    envelope = load_report(data.store().engine, chosen)
    status(envelope)
    downloads(principal, chosen, envelope)
    summary(envelope["body"])


def render(principal: Principal) -> None:
    st.title("Compliance reports")
    st.caption(
        "Signed reports per period: what happened, who did it (pseudonyms and roles), findings "
        "and their resolution, and the integrity evidence, mapped to EU AI Act Art. 12 and "
        "ISO/IEC 42001. The HTML file carries its signed JSON and verifies on its own "
        "(`mlaudit report verify FILE`)."
    )
    if not is_allowed(principal, READ_FINDINGS):
        session.record_denied(principal, "ui.view.reports", {"kind": "page", "name": "reports"})
        raise PermissionDenied("reading compliance reports needs the read_findings permission")
    issue_form(principal)
    issued_list(principal)


with guard("the compliance reports"):
    render(session.require())
