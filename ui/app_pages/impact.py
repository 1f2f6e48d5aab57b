"""Impact: everything downstream of a dataset. In an incident: which live models are affected?"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lineage.authz import Principal
from ui import data, session
from ui.components.feedback import guard
from ui.components.format import frame, label, short, version, when, who
from ui.components.pickers import dataset_picker

LIVE_STYLE = "background-color: #d3f9d8; font-weight: 600"


def headline(result: dict[str, Any]) -> None:
    live = [d for d in result["deployments"] if d["live"] and d["action"] != "retire"]
    if live:
        serving = "; ".join(
            f"**{d['environment']}** serves {label(d['namespace'], d['name'])} @ "
            f"`{version(d['version'])}` (since {when(d['valid_from'])})"
            for d in live
        )
        count = "1 live deployment depends" if len(live) == 1 else f"{len(live)} live ones depend"
        st.error(
            f"{count} on this dataset: {serving}.",
            icon=":material/crisis_alert:",
        )
    else:
        st.success("No live deployment depends on this dataset.", icon=":material/check_circle:")
    cols = st.columns(4)
    cols[0].metric("Derived datasets", len(result["datasets"]))
    cols[1].metric("Model versions", len(result["models"]))
    cols[2].metric("Deployments (ever)", len(result["deployments"]))
    cols[3].metric("Live deployments", len(live))


def deployments_table(rows: list[dict[str, Any]]) -> None:
    for d in rows:
        d.update(
            status="LIVE" if d["live"] and d["action"] != "retire" else "ended",
            model=label(d["namespace"], d["name"]),
            ver=version(d["version"]),
            start=when(d["valid_from"]),
            end=when(d["valid_to"]) if d["valid_to"] else "live",
            by=who(d["actor"]),
        )
    rows.sort(key=lambda d: (d["status"] != "LIVE", d["valid_from"]))
    table = frame(rows, ["status", "environment", "model", "ver", "action", "start", "end", "by"])
    styled = table.style.apply(
        lambda row: [LIVE_STYLE if row["status"] == "LIVE" else "" for _ in row], axis=1
    )
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config={"ver": st.column_config.TextColumn("version")},
    )


def versions_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    for v in rows:
        v.update(
            dataset=label(v["namespace"], v["name"]),
            ver=version(v["version"]),
            created=when(v["created_at"]),
            run=short(v["produced_by"]),
            deleted="deleted" if v["deleted_at"] else "",
        )
    return frame(rows, ["depth", "dataset", "ver", "created", "run", "deleted"])


def render(principal: Principal) -> None:
    st.title("Impact")
    st.caption(
        "Everything derived from a dataset, directly or not: datasets, model versions "
        "and the deployments serving them. All times are UTC."
    )
    picked = dataset_picker(principal, "impact", noun="dataset", inline=True)
    if picked is None:
        session.record_visit(principal, "ui.view.impact", "impact")
        return
    resource = f"{picked['namespace']}/{picked['name']}"
    session.record_view(
        principal, "ui.view.impact", {"kind": picked["kind"].lower(), "name": resource}
    )
    result = data.visible(
        data.query("impact", dataset=picked["name"], namespace=picked["namespace"]), principal
    )
    if not (result["datasets"] or result["models"]):
        st.info(
            "Nothing was derived from this dataset: no dataset, model or deployment depends on it."
        )
        return
    headline(result)
    st.subheader("Deployments serving models built on it")
    deployments_table(result["deployments"])
    config = {"ver": st.column_config.TextColumn("version")}
    st.subheader("Model versions trained on it")
    st.dataframe(
        versions_table(result["models"]), hide_index=True, width="stretch", column_config=config
    )
    st.subheader("Derived datasets")
    st.dataframe(
        versions_table(result["datasets"]), hide_index=True, width="stretch", column_config=config
    )
    with st.expander(f"Runs involved ({len(result['runs'])})"):
        for r in result["runs"]:
            r.update(run=short(r["run_id"]), started=when(r["started_at"]), who=who(r["actor"]))
        st.dataframe(
            frame(result["runs"], ["run", "job", "state", "started", "who"]),
            hide_index=True,
            width="stretch",
        )


with guard("the impact"):
    render(session.require())
