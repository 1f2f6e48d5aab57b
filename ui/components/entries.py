"""Log entries as a table, and one entry in full (the stored event, its hash) on request."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lineage.authz import READ_PERSONAL, Principal, is_allowed
from ui import data
from ui.components.format import frame, short, when, who


def entries_table(rows: list[dict[str, Any]], principal: Principal, key: str) -> None:
    rows = data.visible(rows, principal)
    for r in rows:
        r.update(
            time=when(r["event_time"]),
            who=who(r["actor"]),
            what=r["action"] or ", ".join(r["categories"]),
            run=short(r["run_id"]),
            data=", ".join(r["outputs"] + r["inputs"]) or r["target"] or "",
            kind=r["event_type"],
        )
    st.dataframe(
        frame(rows, ["seq", "time", "kind", "what", "who", "job", "data", "outcome", "run"]),
        hide_index=True,
        width="stretch",
        column_config={
            "data": st.column_config.TextColumn("data / target", width="large"),
            "seq": st.column_config.NumberColumn(format="%d"),
        },
    )
    if is_allowed(principal, READ_PERSONAL):
        _details(rows, key)


def _details(rows: list[dict[str, Any]], key: str) -> None:
    """The stored event of one entry: pseudonyms inside facets make it personal data."""
    with st.expander("Show one entry in full"):
        entry = st.selectbox(
            "Entry",
            rows,
            format_func=lambda r: f"#{r['seq']} · {r['time']} · {r['what']}",
            key=f"{key}_entry",
        )
        if entry:
            st.caption(
                f"Entry hash `{entry['entry_hash']}` · received {when(entry['received_at'])}"
                f" UTC · submitter {entry['submitter'] or '-'}"
            )
            st.json(entry["event"], expanded=3)
