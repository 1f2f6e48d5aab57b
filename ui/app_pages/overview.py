"""Overview: what the reviews found still open, is the log intact, how much happened when, and
what happened last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from lineage.authz import READ_EVENTS, READ_FINDINGS, VERIFY, Principal, is_allowed
from lineage.findings import finding_counts
from ui import data, integrity, session
from ui.components.charts import category_chart
from ui.components.feedback import guard
from ui.components.findings import severity_metrics
from ui.components.format import frame, when, who

WINDOWS = {"All time": None, "Last 24 hours": 1, "Last 7 days": 7, "Last 30 days": 30}


def findings_panel() -> None:
    """Findings are what an auditor reads first: the unresolved ones, and the way to them."""
    counts = finding_counts(data.store().engine)
    heading, link = st.columns([3, 1], vertical_alignment="bottom")
    heading.subheader("Unresolved findings")
    link.page_link("app_pages/findings.py", label="Open the findings", icon=":material/report:")
    if counts.unresolved == 0:
        # Neutral, not green: no finding says only that no review has found anything open.
        st.info("No finding is open or acknowledged.", icon=":material/task_alt:")
        return
    severity_metrics(counts)
    acknowledged = counts.status["acknowledged"]
    st.caption(
        f"{counts.unresolved:,} unresolved: {counts.status['open']:,} open, "
        f"{acknowledged:,} acknowledged but not resolved."
    )


def integrity_panel() -> None:
    refresh = st.button("Verify now", icon=":material/refresh:", help="Run the full check again.")
    state = integrity.status(refresh=refresh)
    if state.started_at:
        st.info(
            f"A full check (hash chain, Merkle tree, signed heads) is running since "
            f"{when(state.started_at)} UTC; reload the page for its result.",
            icon=":material/hourglass_top:",
        )
    if state.error:
        st.error(f"The last check could not run: {state.error}")
    if state.report is None:
        return
    report, heads = state.report, state.report["heads"]
    if report["ok"]:
        st.success(
            f"Verified: the hash chain and Merkle tree of all {report['entries']:,} entries are "
            f"intact{_heads_hold(heads['count'])}.",
            icon=":material/verified:",
        )
    else:
        problems = "\n".join(
            f"- **{p['check']}**: {p.get('detail') or p.get('kind')}"
            for p in report["problems"][:8]
        )
        st.error(f"Verification FAILED ({len(report['problems'])} problems):\n{problems}")
    archived = integrity.archive_note(report)
    if archived is not None:
        note, missing = archived
        (st.warning if missing else st.info)(note, icon=":material/inventory_2:")
    head_metrics(report)
    st.caption(
        f"A full check runs in the background at most every {integrity.VERIFY_TTL // 60} "
        "minutes; **Verify now** starts one."
    )


def head_metrics(report: dict[str, Any]) -> None:
    latest = report["heads"]["latest"]
    entries, head, since, checked = st.columns(4)
    entries.metric("Entries checked", f"{report['entries']:,}")
    if latest:
        head.metric("Latest signed tree head", f"#{latest['id']} · {latest['tree_size']:,} entries")
        after = integrity.logged_entries(report) - latest["tree_size"]  # heads count archived ones
        since.metric("Entries after that head", f"{after:,}")
    else:
        head.metric("Latest signed tree head", "none")
        since.metric("Entries after that head", f"{report['entries']:,}")
    checked.metric("Last checked (UTC)", when(report["checked_at"])[11:])
    if latest:
        verified = "verifies" if report["heads"]["latest_ok"] else "DOES NOT verify"
        st.caption(
            f"Head #{latest['id']} signed {when(latest['timestamp'])} UTC with key "
            f"`{latest['key_id']}`, root `{latest['root_hash']}`. Signature {verified}."
        )
    else:
        st.caption("No tree head is signed yet: run `mlaudit checkpoint` to sign one.")


def _heads_hold(count: int) -> str:
    if count == 0:
        return " (no signed tree head yet)"
    return (
        " and the signed tree head holds" if count == 1 else f" and all {count} signed heads hold"
    )


def activity_panel(window: int | None) -> None:
    since = until = None
    if window:
        # The window ends now: an event stamped later (a producer's clock ahead) shows under
        # "All time", and the chart's axis never runs past the present.
        now = datetime.now(UTC)
        since = (now - timedelta(days=window)).strftime("%Y-%m-%dT%H:%M:%SZ")
        until = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    counts = data.query("category_counts", since=since, until=until)
    totals = data.query("totals")
    cols = st.columns(5)
    for col, (name, title) in zip(
        cols,
        [
            ("entries", "Entries"),
            ("datasets", "Datasets"),
            ("models", "Models"),
            ("runs", "Runs"),
            ("actors", "People and services"),
        ],
        strict=True,
    ):
        col.metric(title, f"{totals[name]:,}")
    if not counts["rows"]:
        st.info("No events in this window.")
        return
    category_chart(counts)


def latest_events(principal: Principal) -> None:
    rows = data.visible(data.query("entries", limit=10), principal)
    for row in rows:
        row["time"] = when(row["event_time"])
        row["who"] = who(row["actor"])
        row["what"] = row["action"] or ", ".join(row["categories"])
        row["on"] = row["target"] or ", ".join(row["outputs"] or row["inputs"]) or "-"
    st.dataframe(
        frame(rows, ["seq", "time", "who", "what", "job", "on"]),
        hide_index=True,
        width="stretch",
    )


def render(principal: Principal) -> None:
    st.title("Overview")
    st.caption("All times are UTC. Figures are at most a minute old.")
    # Slots fix the layout; they are filled only after the view is recorded.
    findings_box = st.container(border=True) if is_allowed(principal, READ_FINDINGS) else None
    integrity_box = st.container(border=True) if is_allowed(principal, VERIFY) else None
    window, activity = None, None
    if session.scope(principal) is None:
        heading, control = st.columns([1, 1], vertical_alignment="bottom")
        heading.subheader("Activity by category")
        choice = control.segmented_control(
            "Window", list(WINDOWS), default="All time", label_visibility="collapsed"
        )
        window, activity = WINDOWS.get(choice or "All time"), st.container()
    session.record_view(
        principal, "ui.view.overview", {"kind": "log", "name": "overview"}, {"window": window}
    )
    if findings_box is not None:
        with findings_box:
            findings_panel()
    if integrity_box is not None:
        with integrity_box:
            st.subheader("Integrity")
            integrity_panel()
    if activity is not None:
        with activity:
            activity_panel(window)
    else:
        st.info(
            "Log-wide activity is shown to roles that read the whole log; your account is "
            "limited to its projects. Use Trace, Impact and Model timeline."
        )
    if is_allowed(principal, READ_EVENTS):
        st.subheader("Latest events")
        latest_events(principal)


with guard("the overview"):
    render(session.require())
