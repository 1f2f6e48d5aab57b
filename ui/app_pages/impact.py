"""Impact: everything downstream of a dataset. In an incident: which live models are affected?"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lineage.authz import Principal
from lineage.queries.impact import PAGE as IMPACT_PAGE
from ui import data, session
from ui.components.feedback import guard
from ui.components.format import frame, label, short, version, when, who
from ui.components.pickers import dataset_picker
from ui.components.serving import serving_text

LIVE_STYLE = "background-color: #d3f9d8; font-weight: 600"


PAGE = IMPACT_PAGE  # affected versions per page of the table: the query's default page


def headline(result: dict[str, Any]) -> None:
    live = [d for d in result["deployments"] if d["live"] and d["action"] != "retire"]
    if live:
        st.error(serving_text(live), icon=":material/crisis_alert:")
    else:
        st.success("No live deployment depends on this dataset.", icon=":material/check_circle:")
    totals = result["totals"]
    cols = st.columns(4)
    cols[0].metric(
        "Derived datasets", totals["datasets"], help=f"{totals['dataset_versions']} versions"
    )
    cols[1].metric("Model versions", totals["model_versions"], help=f"of {totals['models']} models")
    cols[2].metric("Deployments (ever)", totals["deployments"])
    cols[3].metric("Live deployments", totals["live_deployments"])


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


def _labelled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        deleted = "deleted" if row["deleted_at"] else ""
        row.update(dataset=label(row["namespace"], row["name"]), deleted=deleted)
    return rows


def summaries_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per affected dataset or model: how much of it, how near, its latest version."""
    for s in _labelled(rows):
        s.update(latest=version(s["latest_version"]), created=when(s["latest_created_at"]))
    return frame(rows, ["nearest_depth", "dataset", "versions", "latest", "created", "deleted"])


def versions_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    for v in _labelled(rows):
        v.update(
            ver=version(v["version"]), created=when(v["created_at"]), run=short(v["produced_by"])
        )
    return frame(rows, ["depth", "kind", "dataset", "ver", "created", "run", "deleted"])


def versions_pages(picked: dict[str, Any], result: dict[str, Any], principal: Principal) -> None:
    """The affected versions, nearest first, one page at a time (a source can reach tens of
    thousands); the first page came with the summaries."""
    total = result["page"]["total"]
    pages = max(1, -(-total // PAGE))
    number = 1
    if pages > 1:
        number = int(
            st.number_input(f"Page (of {pages}, {PAGE} a page)", 1, pages, 1, key="impact_page")
        )
    if number > 1:
        where = {"dataset": picked["name"], "namespace": picked["namespace"]}
        asked = data.query("impact", **where, limit=PAGE, offset=(number - 1) * PAGE)
        result = data.visible(asked, principal)
    first = (number - 1) * PAGE + 1
    st.caption(f"Versions {first}-{first + len(result['versions']) - 1} of {total}")
    st.dataframe(
        versions_table(result["versions"]),
        hide_index=True,
        width="stretch",
        column_config={"ver": st.column_config.TextColumn("version")},
    )


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
    not_listed = result["totals"]["deployments_not_listed"]
    if not_listed:
        st.caption(
            f"Every live deployment and the latest ended ones; {not_listed} earlier ended "
            "deployments are not listed here (each model's Timeline lists its whole history)."
        )
    st.subheader("Models trained on it")
    st.dataframe(summaries_table(result["models"]), hide_index=True, width="stretch")
    st.subheader("Derived datasets")
    st.dataframe(summaries_table(result["datasets"]), hide_index=True, width="stretch")
    st.subheader("Affected versions, nearest first")
    versions_pages(picked, result, principal)


with guard("the impact"):
    render(session.require())
