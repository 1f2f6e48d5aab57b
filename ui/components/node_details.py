"""The details panel of a lineage graph node: facets, hyperparameters, metrics, actor."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lineage.authz import Principal
from ui import data
from ui.components.format import label, params, short, version, when
from ui.components.graph import Node

ICONS = {
    "model": ":material/model_training:",
    "dataset": ":material/table:",
    "source": ":material/database:",
    "run": ":material/play_circle:",
    "deployment": ":material/rocket_launch:",
    "user": ":material/person:",
}


def node_label(node: Node) -> str:
    return f"{node.kind}: {node.title.replace(chr(10), ' · ')}"


def node_panel(
    nodes: list[Node],
    principal: Principal,
    key: str,
    evaluations: list[dict[str, Any]] | None = None,
) -> None:
    """A picker over the graph's nodes and the chosen node's details.

    `evaluations` are the traced model version's, shown with the model's node.
    """
    st.caption("Graph nodes cannot be clicked in Streamlit: pick a node here to see its details.")
    node = st.selectbox("Node", nodes, format_func=node_label, key=f"{key}_node")
    if node is None:
        return
    st.markdown(f"{ICONS.get(node.kind, '')} **{node.title.splitlines()[0]}**")
    if node.kind in ("dataset", "model", "source"):
        _dataset(node.data, principal)
        if node.kind == "model" and evaluations:
            _evaluations(evaluations)
    elif node.kind == "run":
        _run(node.data["run_id"], principal)
    elif node.kind == "deployment":
        _facts(
            node.data,
            [
                "environment",
                "version",
                "action",
                "previous_version",
                "valid_from",
                "valid_to",
                "actor",
                "target",
                "run_id",
            ],
        )
    else:
        _facts(node.data, ["actor", "kind"])
        st.caption(
            f"{len(node.data.get('runs', []))} runs in this trace; deployments: "
            + (", ".join(node.data.get("deployments", [])) or "none")
        )


def _facts(values: dict[str, Any], keys: list[str]) -> None:
    """Field: value lines; long ids wrap instead of being cut off as in a table cell."""
    lines = [f"**{k.replace('_', ' ')}**: `{_show(k, values.get(k))}`" for k in keys]
    st.markdown("  \n".join(lines))


def _show(key: str, value: Any) -> str:
    if value is None or value == "":
        return "live" if key == "valid_to" else "-"
    if key.endswith(("_at", "_from", "_to")):
        return when(value) + " UTC"
    return str(value)


def _dataset(row: dict[str, Any], principal: Principal) -> None:
    details = data.visible(
        data.query(
            "version_details",
            namespace=row["namespace"],
            name=row["name"],
            version=row["version"],
        ),
        principal,
    )
    details["dataset"] = label(details["namespace"], details["name"])
    _facts(
        details, ["dataset", "kind", "version", "created_at", "produced_by", "deleted_at", "seq"]
    )
    facets = {**details["dataset_facets"], **details["version_facets"]}
    if facets:
        with st.expander(f"Facets ({len(facets)})"):
            st.json(facets, expanded=2)


def _run(run_id: str, principal: Principal) -> None:
    run = data.visible(data.query("run_details", run_id=run_id), principal)
    _facts(
        run,
        [
            "job",
            "state",
            "started_at",
            "ended_at",
            "actor",
            "actor_kind",
            "parent_run_id",
            "run_id",
        ],
    )
    if run["training"]:
        training = run["training"]
        st.markdown(
            f"**Training:** {training.get('algorithm')} ({training.get('framework', '-')})  \n"
            f"Hyperparameters: `{params(training.get('hyperparameters'))}`"
        )
    if run["evaluation"]:
        st.markdown(f"**Metrics:** `{params(run['evaluation'].get('metrics'), digits=4)}`")
    moved = [
        f"{d['direction']}: {label(d['namespace'], d['name'])}@{version(d['version'])}"
        for d in run["inputs"] + run["outputs"]
    ]
    if moved:
        st.caption("  \n".join(moved))
    st.caption(
        "Log entries: " + ", ".join(f"#{e['seq']} {e['event_type']}" for e in run["entries"])
    )
    with st.expander(f"All facets of run {short(run_id)}"):
        st.json(run["facets"], expanded=2)


def _evaluations(evaluations: list[dict[str, Any]]) -> None:
    lines = []
    for e in evaluations:
        checks = ", ".join(
            f"{c['name']} {'passed' if c.get('passed') else 'FAILED'}" for c in e["checks"]
        )
        lines.append(f"{when(e['event_time'])}: `{params(e['metrics'], digits=4)}` {checks}")
    st.markdown("**Evaluations of this version**  \n" + "  \n".join(lines))
