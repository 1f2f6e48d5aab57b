"""Trace: a model version's upstream lineage to the raw sources, as a graph and as tables."""

from __future__ import annotations

import zlib
from typing import Any

import streamlit as st

from lineage.authz import READ_PERSONAL, Principal, is_allowed
from ui import data, session
from ui.components.feedback import guard
from ui.components.format import frame, label, params, short, version, when, who
from ui.components.graph import trace_graph
from ui.components.node_details import node_panel
from ui.components.pickers import (
    as_of_picker,
    dataset_picker,
    from_link,
    link_version,
    version_picker,
)

GRAPH_DRAWN, GRAPH_NESTED = "trace_graph_drawn", "trace_graph_nested"
ENVIRONMENT = "production"  # the version live here is the one an auditor usually asks about


def headline(trace: dict[str, Any]) -> None:
    model = trace["model"]
    st.subheader(f"{label(model['namespace'], model['name'])} @ {version(model['version'])}")
    live = [d for d in trace["live"] if d["version"] == model["version"]]
    moment = f" as of {when(trace['as_of'])} UTC" if trace["as_of"] else " now"
    if live:
        where = ", ".join(f"{d['environment']} (since {when(d['valid_from'])})" for d in live)
        st.success(f"This version is live{moment} in {where}.", icon=":material/rocket_launch:")
    else:
        st.info(f"This version is not live anywhere{moment}.")
    cols = st.columns(5)
    cols[0].metric("Depth to raw data", max((d["depth"] for d in trace["datasets"]), default=0))
    cols[1].metric("Dataset versions", len(trace["datasets"]))
    cols[2].metric("Runs", len(trace["runs"]))
    cols[3].metric("Raw sources", len(trace["sources"]))
    cols[4].metric("People and services", len(trace["actors"]) or "hidden")


def graph_place(dot: str) -> Any:
    """Where to draw `dot`: a container of its own, one level deeper or shallower than the
    previous graph's.

    Drawing each graph in a container of its own (keyed by the graph) fixed the browser
    spending tens of seconds morphing one large graph into the next, but not every time: at 1M
    events, tracing the benchmark's five deep models one after another, the browser's main thread
    was still busy 1.6-5.9 s (long tasks, a `longtask` observer; one of 4.8 s) for one or two of
    them in four runs of five, 0.2-1.1 s otherwise. Streamlit names a chart's element by its
    place in the page, and consecutive graphs had the same place. Alternating the depth gives
    each graph a place of its own: in eight runs of the same five traces no trace's long tasks
    then passed 1.1 s, and no trace after the first took over 1.3 s. Why the same place cost
    so much was not pinned down (no two charts were ever on the page at once, and no chart's
    element was reused).
    """
    digest = zlib.crc32(dot.encode())
    if st.session_state.get(GRAPH_DRAWN) != digest:
        st.session_state[GRAPH_DRAWN] = digest
        st.session_state[GRAPH_NESTED] = not st.session_state.get(GRAPH_NESTED, False)
    place = st.container(key=f"trace_graph_{digest}")
    return place.container() if st.session_state[GRAPH_NESTED] else place


def graph_and_details(trace: dict[str, Any], principal: Principal) -> None:
    people = is_allowed(principal, READ_PERSONAL) and st.toggle(
        "People in the graph", value=True, key="trace_people", help="Who launched each run."
    )
    drawing = trace_graph(trace, people=people)
    left, right = st.columns([5, 3], gap="medium")
    with left:
        if drawing.dot is None:
            count = len(drawing.nodes)
            st.warning(f"{count} nodes are too many to draw; the tables below hold them all.")
        else:
            with graph_place(drawing.dot):
                st.graphviz_chart(drawing.dot, width="content")
            who = "; dashed: who launched what" if people and not drawing.condensed else ""
            st.caption(
                "Raw sources at the top, the model and its deployments below. Green: the "
                f"model and live deployments; red: deleted data{who}."
            )
            if drawing.condensed:
                left_out = " and ".join(drawing.condensed)
                folded = " (an arrow joins a run's inputs to its outputs)"
                st.caption(
                    f"{len(drawing.nodes)} nodes: drawn without {left_out} to stay readable"
                    f"{folded if 'runs' in drawing.condensed else ''}; the tables below list all."
                )
    with right:
        model = trace["model"]
        key = f"trace_{model['name']}_{model['version']}_{trace['as_of']}"
        node_panel(drawing.nodes, principal, key, evaluations=trace["evaluations"])


def tables(trace: dict[str, Any]) -> None:
    for d in trace["datasets"]:
        d["dataset"] = label(d["namespace"], d["name"]) + (" (deleted)" if d["deleted_at"] else "")
        d.update(
            created=when(d["created_at"]), run=short(d["produced_by"]), ver=version(d["version"])
        )
    for r in trace["runs"]:
        training = r.get("training") or {}
        r.update(
            run=short(r["run_id"]),
            started=when(r["started_at"]),
            ended=when(r["ended_at"]),
            who=who(r["actor"]),
            algorithm=training.get("algorithm"),
            hyperparameters=params(training.get("hyperparameters")),
        )
    for e in trace["evaluations"]:
        e.update(
            time=when(e["event_time"]),
            run=short(e["run_id"]),
            scores=params(e["metrics"], digits=4),
            result=", ".join(
                f"{c['name']}: {'pass' if c.get('passed') else 'FAIL'}" for c in e["checks"]
            ),
        )
    for d in trace["deployments"]:
        d.update(
            start=when(d["valid_from"]),
            end=when(d["valid_to"]) if d["valid_to"] else "live",
            by=who(d["actor"]),
            traced="◀ traced" if d["is_traced_version"] else "",
        )
    tabs = st.tabs(["Datasets", "Runs", "Evaluations", "Deployments", "Raw sources", "People"])
    views = [
        (trace["datasets"], ["depth", "dataset", "ver", "kind", "created", "run"]),
        (
            trace["runs"],
            ["run", "job", "state", "started", "ended", "who", "algorithm", "hyperparameters"],
        ),
        (trace["evaluations"], ["time", "run", "version", "scores", "result"]),
        (
            trace["deployments"],
            ["environment", "version", "action", "start", "end", "by", "traced"],
        ),
        (trace["sources"], ["namespace", "name", "version", "created_at"]),
        (trace["actors"], ["actor", "kind", "runs", "deployments"]),
    ]
    wide = {
        name: st.column_config.TextColumn(width="large")
        for name in ("dataset", "hyperparameters", "scores", "name")
    }
    wide["ver"] = st.column_config.TextColumn("version")
    for tab, (rows, columns) in zip(tabs, views, strict=True):
        with tab:
            st.dataframe(frame(rows, columns), hide_index=True, width="stretch", column_config=wide)


def render(principal: Principal) -> None:
    st.title("Trace")
    st.caption("A model version's lineage upstream to its raw sources. All times are UTC.")
    linked, linked_version = from_link("model"), from_link("version")
    if linked and linked_version:
        link_version("trace", linked, linked_version)
    pick, moment, which = st.columns(3)
    with pick:
        model = dataset_picker(principal, "trace", kind="MODEL", noun="model", linked=linked)
    if model is None:
        session.record_visit(principal, "ui.view.trace", "trace")
        return
    with moment:
        as_of = as_of_picker(model, "trace")
    with which:
        chosen = version_picker(model, "trace", as_of=as_of, prefer_live=ENVIRONMENT)
    if chosen is None:
        session.record_visit(principal, "ui.view.trace", "trace")
        return
    resource = f"{model['namespace']}/{model['name']}"
    session.record_view(
        principal,
        "ui.view.trace",
        {"kind": "model", "name": resource},
        {"version": chosen, "as_of": as_of},
    )
    trace = data.visible(
        data.query(
            "trace", model=model["name"], namespace=model["namespace"], version=chosen, as_of=as_of
        ),
        principal,
    )
    headline(trace)
    graph_and_details(trace, principal)
    tables(trace)


with guard("the trace"):
    render(session.require())
