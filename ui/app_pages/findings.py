"""Findings: what the periodic reviews found, most severe first, and their triage."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lineage.authz import Principal
from lineage.findings import (
    KINDS,
    SEVERITIES,
    STATUSES,
    UNRESOLVED,
    finding_counts,
    finding_history,
    list_findings,
)
from ui import data, session
from ui.components.feedback import guard
from ui.components.findings import (
    counts_panel,
    finding_panel,
    findings_table,
    triage_controls,
    triage_outcome,
)
from ui.components.links import subject_links

PICK = "findings_pick"


def filters() -> dict[str, Any]:
    status, kind, severity = st.columns(3)
    return {
        "status": status.multiselect("Status", STATUSES, default=UNRESOLVED, key="findings_status"),
        "kind": kind.multiselect("Kind", KINDS, key="findings_kind", placeholder="any"),
        "severity": severity.multiselect(
            "Severity", SEVERITIES, key="findings_severity", placeholder="any"
        ),
    }


def render(principal: Principal) -> None:
    st.title("Findings")
    st.caption(
        "What the periodic reviews (integrity, completeness, policies, anomalies, retention) "
        "found. Each is stored once and counted each time a review sees it again. All times UTC."
    )
    triage_outcome()
    chosen = filters()
    picked = st.session_state.get(PICK)
    # One record per visit and per change of filters or of the finding opened.
    session.record_view(
        principal,
        "ui.view.findings",
        {"kind": "log", "name": "findings"},
        {**{k: sorted(v) for k, v in chosen.items()}, "finding": picked},
    )
    engine = data.store().engine
    counts_panel(finding_counts(engine))
    query = {k: v for k, v in chosen.items() if v}
    rows = data.visible([f.as_dict() for f in list_findings(engine, **query)], principal)
    if not rows:
        st.info("No finding matches these filters.")
        return
    findings_table(rows)
    by_id = {r["id"]: r for r in rows}
    finding_id = st.selectbox(
        "Open a finding",
        list(by_id),
        index=None,
        key=PICK,
        format_func=lambda i: f"#{i} · {by_id[i]['severity']} · {by_id[i]['title']}",
        placeholder="Choose a finding to see its evidence and history",
    )
    if finding_id is None:
        return
    history = [h.as_dict() for h in finding_history(engine, finding_id)]
    finding = by_id[finding_id]
    links = subject_links(principal, finding["subject"])
    finding_panel(finding, data.visible(history, principal), links)
    triage_controls(principal, finding)


with guard("the findings"):
    render(session.require())
