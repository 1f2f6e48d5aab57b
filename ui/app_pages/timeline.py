"""Model timeline: every version, how two versions differ, metrics over time, deployment history."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lineage.authz import Principal
from lineage.queries.models import compare_versions
from ui import data, session
from ui.components.charts import deployment_chart, metrics_chart
from ui.components.feedback import guard
from ui.components.format import frame, params, version, when, who
from ui.components.pickers import dataset_picker

CHANGED_STYLE = "background-color: #fff3bf"


def versions_section(model: dict[str, Any], principal: Principal) -> list[dict[str, Any]]:
    prefix = st.text_input(
        "Versions starting with",
        key="timeline_prefix",
        placeholder="optional: the 50 newest are listed, a prefix reaches older ones",
    )
    versions = data.visible(
        data.query(
            "model_versions",
            model=model["name"],
            namespace=model["namespace"],
            prefix=prefix,
            limit=50,
        ),
        principal,
    )["versions"]
    for v in versions:
        v.update(
            ver=version(v["version"]),
            created=when(v["created_at"]),
            who=who(v["actor"]),
            params=params(v["hyperparameters"]),
            data=", ".join(v["training_data"]),
            live=", ".join(v["live_in"]),
        )
    st.dataframe(
        frame(versions, ["ver", "created", "algorithm", "params", "data", "who", "live"]),
        hide_index=True,
        width="stretch",
        column_config={
            "ver": st.column_config.TextColumn("version"),
            "params": st.column_config.TextColumn("hyperparameters"),
            "data": st.column_config.TextColumn("training data", width="large"),
        },
    )
    return versions


def compare_section(
    model: dict[str, Any], versions: list[dict[str, Any]], principal: Principal
) -> None:
    if len(versions) < 2:
        st.info("Only one version so far: nothing to compare.")
        return
    names = [v["version"] for v in versions]
    left, right, only = st.columns([2, 2, 1], vertical_alignment="bottom")
    a = left.selectbox("Version A", names, index=1, format_func=version, key="timeline_a")
    b = right.selectbox("Version B", names, index=0, format_func=version, key="timeline_b")
    changed_only = only.toggle("Only differences", key="timeline_changed")
    profiles = [
        data.visible(
            data.query(
                "version_profile", model=model["name"], namespace=model["namespace"], version=v
            ),
            principal,
        )
        for v in (a, b)
    ]
    rows = [r for r in compare_versions(*profiles) if r["changed"] or not changed_only]
    table = frame(rows, ["aspect", "a", "b", "changed"]).rename(
        columns={"a": f"A: {version(a)}", "b": f"B: {version(b)}"}
    )
    styled = table.style.apply(
        lambda row: [CHANGED_STYLE if row["changed"] else "" for _ in row], axis=1
    )
    # Tall enough for every row: a comparison must not hide differences behind a scrollbar.
    st.dataframe(styled, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 3)


def metrics_section(model: dict[str, Any]) -> None:
    result = data.query("metrics", model=model["name"], namespace=model["namespace"])
    if not result["points"]:
        st.info("No evaluation recorded for this model.")
        return
    metrics_chart(result["points"])
    failed = [c for c in result["checks"] if not c.get("passed")]
    if failed:
        st.error(
            f"{len(failed)} failed checks: "
            + ", ".join(f"{c['name']} on {version(c['version'])}" for c in failed[:10])
        )
    elif result["checks"]:
        st.caption(f"All {len(result['checks'])} recorded checks passed.")


def deployments_section(model: dict[str, Any], principal: Principal) -> None:
    rows = data.visible(
        data.query("deployments", model=model["name"], namespace=model["namespace"]), principal
    )
    if not rows:
        st.info("Never deployed.")
        return
    deployment_chart(rows)
    for d in reversed(rows):
        d.update(
            ver=version(d["version"]),
            start=when(d["valid_from"]),
            end=when(d["valid_to"]) if d["valid_to"] else "live",
            by=who(d["actor"]),
            previous=version(d["previous_version"]),
        )
    st.dataframe(
        frame(
            list(reversed(rows)), ["environment", "ver", "action", "previous", "start", "end", "by"]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "ver": st.column_config.TextColumn("version"),
            "previous": st.column_config.TextColumn("replaced"),
        },
    )


def render(principal: Principal) -> None:
    st.title("Model timeline")
    st.caption(
        "All versions of a model, what changed between them, how they scored and where "
        "they served. All times are UTC."
    )
    model = dataset_picker(principal, "timeline", kind="MODEL", noun="model", inline=True)
    if model is None:
        session.record_visit(principal, "ui.view.timeline", "timeline")
        return
    resource = f"{model['namespace']}/{model['name']}"
    session.record_view(principal, "ui.view.timeline", {"kind": "model", "name": resource})
    st.subheader("Versions")
    versions = versions_section(model, principal)
    st.subheader("Compare two versions")
    compare_section(model, versions, principal)
    st.subheader("Evaluation metrics over time")
    metrics_section(model)
    st.subheader("Deployment history")
    deployments_section(model, principal)


with guard("the model timeline"):
    render(session.require())
