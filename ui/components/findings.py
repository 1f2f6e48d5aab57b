"""Findings on screen: the counts, the list, one finding in full, and its triage controls."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lineage.authz import TRIAGE_FINDINGS, Principal, is_allowed
from lineage.findings import SEVERITIES, STATUSES, FindingCounts, FindingError, change_status
from ui import data, session
from ui.components.format import frame, when, who
from ui.components.links import Link, show_links

NOTE = "findings_note"
OUTCOME = "findings_outcome"  # what the last triage click did, shown once on the next run
ACTIONS = {"acknowledged": "finding.acknowledged", "resolved": "finding.resolved"}
LIST_COLUMNS = ["id", "severity", "status", "title", "kind", "rule", "subject", "last", "seen"]


def severity_metrics(counts: FindingCounts) -> None:
    """The unresolved (open or acknowledged) findings, one metric per severity."""
    for column, severity in zip(st.columns(len(SEVERITIES)), SEVERITIES, strict=True):
        column.metric(severity.capitalize(), counts.severity[severity])


def counts_panel(counts: FindingCounts) -> None:
    st.markdown("**Unresolved, by severity**")
    severity_metrics(counts)
    st.markdown("**All findings, by status**")
    for column, status in zip(st.columns(len(STATUSES)), STATUSES, strict=True):
        column.metric(status.capitalize(), counts.status[status])


def findings_table(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        r.update(last=when(r["last_seen"]), seen=r["occurrences"])
    st.dataframe(
        frame(rows, LIST_COLUMNS),
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn(format="%d"),
            "title": st.column_config.TextColumn(width="large"),
            "last": st.column_config.TextColumn("last seen"),
            "seen": st.column_config.NumberColumn("times seen", format="%d"),
        },
    )


def finding_panel(
    finding: dict[str, Any], history: list[dict[str, Any]], links: list[Link]
) -> None:
    """Title, why it fired, where to look, its evidence, and every status change as the log
    records it."""
    st.subheader(f"#{finding['id']} · {finding['title']}")
    st.caption(
        f"{finding['severity']} · {finding['kind']} · rule `{finding['rule']}` · subject "
        f"`{finding['subject']}` · seen {finding['occurrences']} time(s), first "
        f"{when(finding['first_seen'])}, last {when(finding['last_seen'])} UTC "
        f"(review {finding['last_review']})"
    )
    status = f"**{finding['status']}** since {when(finding['status_changed_at'])} UTC"
    st.markdown(f"Status: {status} by {who(finding['status_by'])}")
    if finding["resolution_note"]:
        st.markdown(f"Resolution note: {finding['resolution_note']}")
    st.markdown(finding["explanation"])
    show_links(links)
    st.markdown("**Evidence**")
    st.json(finding["evidence"], expanded=2)
    st.markdown("**Status history** (from the audit log)")
    for h in history:
        h.update(time=when(h["at"]), by=who(h["actor"]), change=h["action"], note=h["note"] or "")
    st.dataframe(
        frame(history, ["seq", "time", "change", "by", "note"]),
        hide_index=True,
        width="stretch",
        column_config={"seq": st.column_config.NumberColumn(format="%d")},
    )


def triage_controls(principal: Principal, finding: dict[str, Any]) -> None:
    """Acknowledge or resolve (a note is required to resolve); each click is an audit event."""
    if not is_allowed(principal, TRIAGE_FINDINGS):
        st.caption("Your role may read findings but not triage them.")
        return
    if finding["status"] == "resolved":
        st.caption("Resolved. A review that finds it again reopens it.")
        return
    st.text_area("Note", key=NOTE, placeholder="why: required to resolve")
    ack, resolve, _ = st.columns([1, 1, 4])
    ack.button(
        "Acknowledge",
        icon=":material/visibility:",
        disabled=finding["status"] != "open",
        on_click=_triage,
        args=(finding["id"], "acknowledged"),
    )
    resolve.button(
        "Resolve",
        icon=":material/task_alt:",
        on_click=_triage,
        args=(finding["id"], "resolved"),
    )


def _triage(finding_id: int, status: str) -> None:
    """Runs before the page does (a button callback), so the page shows the changed finding."""
    principal = session.current()  # roles as they are now, not as they were at the last render
    if principal is None:
        return
    if not is_allowed(principal, TRIAGE_FINDINGS):
        target = {"kind": "finding", "name": str(finding_id)}
        session.record_denied(principal, ACTIONS[status], target)
        st.session_state[OUTCOME] = ("error", f"Your role may not set findings {status}.")
        return
    note = st.session_state.get(NOTE)
    try:
        change_status(data.store(), principal, finding_id, status, note)
    except FindingError as exc:
        st.session_state[OUTCOME] = ("error", str(exc))
        return
    st.session_state[OUTCOME] = ("success", f"Finding {finding_id} is now {status}.")
    st.session_state[NOTE] = ""


def triage_outcome() -> None:
    kind, message = st.session_state.pop(OUTCOME, (None, None))
    if kind == "error":
        st.error(message)
    elif kind == "success":
        st.success(message, icon=":material/check:")
