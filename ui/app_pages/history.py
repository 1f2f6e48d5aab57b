"""Dataset history: who created, modified, read and deleted data, when, and by which run."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lineage.authz import Principal
from lineage.queries.access import FIRST_PAGE
from ui import data, session
from ui.components.feedback import guard
from ui.components.format import frame, label, short, version, when, who
from ui.components.paging import cursor, pager
from ui.components.pickers import dataset_picker, from_link

ACTIONS = ["create", "modify", "read", "delete"]
PAST = {"create": "Created", "modify": "Modified", "read": "Read", "delete": "Deleted"}
PAGE_SIZE = 100


def summary(result: dict[str, Any]) -> None:
    dataset = result["dataset"]
    if dataset["deleted_at"]:
        st.warning(
            f"Deleted {when(dataset['deleted_at'])} UTC (first seen "
            f"{when(dataset['created_at'])}).",
            icon=":material/delete:",
        )
    else:
        st.caption(f"{dataset['kind'].lower()} · first seen {when(dataset['created_at'])} UTC")
    counts = {row["action"]: row for row in result["summary"]}
    for col, action in zip(st.columns(len(ACTIONS)), ACTIONS, strict=True):
        row = counts.get(action)
        col.metric(
            PAST[action],
            row["times"] if row else 0,
            help=f"last {when(row['last'])} UTC" if row else None,
        )


def render(principal: Principal) -> None:
    st.title("Dataset history")
    st.caption(
        "Every create, modify, read and delete of a dataset or model, newest first. "
        "All times are UTC."
    )
    left, right = st.columns([3, 2])
    with left:
        picked = dataset_picker(
            principal,
            "history",
            noun="dataset or model",
            plural="datasets and models",
            linked=from_link("dataset"),
        )
    if picked is None:
        session.record_visit(principal, "ui.view.history", "history")
        return
    with right:
        action = st.segmented_control("Action", ACTIONS, key="history_action")
    resource = f"{picked['namespace']}/{picked['name']}"
    filters = (resource, action)
    before, page = cursor("history_pages", filters, FIRST_PAGE)
    session.record_view(
        principal,
        "ui.view.history",
        {"kind": picked["kind"].lower(), "name": resource},
        {"action": action, "page": page},
    )
    result = data.visible(
        data.query(
            "access_page",
            dataset=picked["name"],
            namespace=picked["namespace"],
            action=action,
            before=tuple(before),
            limit=PAGE_SIZE,
        ),
        principal,
    )
    st.subheader(label(picked["namespace"], picked["name"]))
    summary(result)
    rows = result["access"]
    for r in rows:
        r.update(
            time=when(r["event_time"]),
            who=who(r["actor"]),
            run=short(r["run_id"]),
            ver=version(r["version"]),
        )
    if not rows:
        st.info("No access matches.")
        return
    st.dataframe(
        frame(rows, ["time", "action", "ver", "who", "job", "run", "seq"]),
        hide_index=True,
        width="stretch",
        column_config={"ver": st.column_config.TextColumn("version")},
    )
    pager("history_pages", result["next"], len(rows), "accesses")


with guard("the history"):
    render(session.require())
