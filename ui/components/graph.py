"""A trace as a Graphviz DOT graph: raw sources at the top, the model and its deployments below.

Returns the nodes too, so the page can offer a node picker (Streamlit cannot report clicks on a
graphviz chart). A deep trace is condensed before it is refused: first the people are left out,
then each run is folded into the edges from its inputs to its outputs, so a 30-hop chain still
draws as its datasets. Only a trace with more dataset versions than a browser can lay out is not
drawn; the tables below the graph hold the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ui.components.format import label, short, version, when, who

MAX_NODES = 250
PERSON_EDGE = 'style=dashed, color="#9775fa"'
COLORS = {
    "source": "#fff4d6",
    "dataset": "#e8f0fe",
    "model": "#d3f9d8",
    "deleted": "#ffe3e3",
    "run": "#f1f3f5",
    "live": "#b2f2bb",
    "deployment": "#f8f9fa",
    "user": "#f3e8ff",
}


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # dataset | model | source | run | deployment | user
    title: str
    data: dict[str, Any] = field(hash=False, compare=False)


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Drawing:
    """What trace_graph drew: DOT (None when too large), all nodes, and what was left out."""

    dot: str | None
    nodes: list[Node]
    condensed: tuple[str, ...] = ()


def trace_graph(trace: dict[str, Any], *, people: bool) -> Drawing:
    """The trace as DOT, condensed as far as needed to stay drawable."""
    datasets, runs = _dataset_nodes(trace), _run_nodes(trace)
    deployments, users = _deployment_nodes(trace), _user_nodes(trace) if people else []
    nodes = datasets + runs + deployments + users
    if len(nodes) <= MAX_NODES:
        return Drawing(_dot(trace, nodes, runs=True, people=people), nodes)
    if len(nodes) - len(users) <= MAX_NODES:
        drawn = datasets + runs + deployments
        return Drawing(_dot(trace, drawn, runs=True, people=False), nodes, ("people",))
    left_out = ("people", "runs") if users else ("runs",)
    if len(datasets) + len(deployments) <= MAX_NODES:
        drawn = datasets + deployments
        return Drawing(_dot(trace, drawn, runs=False, people=False), nodes, left_out)
    folded = _fold_versions(trace)
    drawn = _dataset_nodes(folded) + deployments
    if len(drawn) <= MAX_NODES:
        dot = _dot(folded, drawn, runs=True, people=False)  # its edges are already folded
        return Drawing(dot, nodes, (*left_out, "versions"))
    return Drawing(None, nodes, ("everything",))


def _fold_versions(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace with one dataset per name (its versions counted) and edges between datasets."""
    counts: dict[tuple[str, str], int] = {}
    for d in trace["datasets"]:
        counts[(d["namespace"], d["name"])] = counts.get((d["namespace"], d["name"]), 0) + 1
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    renamed: dict[str, str] = {}
    for d in trace["datasets"]:
        key = (d["namespace"], d["name"])
        many = f"{counts[key]} versions" if counts[key] > 1 else d["version"]
        renamed[_dataset_id(d)] = _dataset_id({**d, "version": many})
        first = merged.setdefault(key, {**d, "version": many})
        first["depth"] = max(first["depth"], d["depth"])
    through = _through_runs(trace)
    edges = {(renamed[e["from"]], renamed[e["to"]]) for e in through if e["from"] in renamed}
    model = trace["model"]
    model_key = (model["namespace"], model["name"])
    model_version = merged[model_key]["version"] if model_key in merged else model["version"]
    return {
        **trace,
        "model": {**model, "version": model_version},
        "datasets": list(merged.values()),
        "sources": [
            {**s, "version": merged[(s["namespace"], s["name"])]["version"]}
            for s in trace["sources"]
            if (s["namespace"], s["name"]) in merged
        ],
        "runs": [],
        "edges": [{"from": a, "to": b} for a, b in sorted(edges) if a != b],
    }


def _dataset_id(d: dict[str, Any]) -> str:
    return f"{d['namespace']}/{d['name']}@{d['version'] or '-'}"


def _dot(trace: dict[str, Any], nodes: list[Node], *, runs: bool, people: bool) -> str:
    lines = [
        "digraph trace {",
        'rankdir=TB; bgcolor="transparent"; nodesep=0.3; ranksep=0.35;',
        # Bounded layout effort: a few people launching many runs made Graphviz's network
        # simplex and crossing minimisation take seconds (in the browser too) for ~150 nodes.
        "nslimit=2; nslimit1=2; mclimit=0.3;",
        'node [fontname="Helvetica", fontsize=12, style="filled,rounded", shape=box, '
        'margin="0.12,0.04", height=0.4];',
        'edge [color="#868e96", arrowsize=0.6];',
    ]
    lines += [f"{_q(n.id)} [{_attrs(n)}];" for n in nodes]
    edges = trace["edges"] if runs else _through_runs(trace)
    lines += [f"{_q(e['from'])} -> {_q(e['to'])};" for e in edges]
    lines += _deployment_edges(trace)
    if people:
        lines += _user_edges(trace)
    lines.append("}")
    return "\n".join(lines)


def _through_runs(trace: dict[str, Any]) -> list[dict[str, str]]:
    """Dataset-to-dataset edges: each run's inputs joined to its outputs."""
    run_ids = {r["run_id"] for r in trace["runs"]}
    inputs: dict[str, list[str]] = {}
    outputs: dict[str, list[str]] = {}
    for e in trace["edges"]:
        if e["to"] in run_ids:
            inputs.setdefault(e["to"], []).append(e["from"])
        elif e["from"] in run_ids:
            outputs.setdefault(e["from"], []).append(e["to"])
    pairs = {(a, b) for run, outs in outputs.items() for a in inputs.get(run, []) for b in outs}
    return [{"from": a, "to": b} for a, b in sorted(pairs)]


def _attrs(node: Node) -> str:
    lines = node.title.split("\n")
    text = "\\n".join(line.replace('"', "'") for line in lines)
    shape = {"run": "ellipse", "user": "oval", "deployment": "box", "source": "cylinder"}
    color = COLORS["live" if node.data.get("live") else node.kind]
    if node.data.get("deleted_at"):
        color = COLORS["deleted"]
    extra = ', penwidth=2, color="#2b8a3e"' if node.kind == "model" or node.data.get("live") else ""
    return (
        f'label="{text}", shape={shape.get(node.kind, "box")}, fillcolor="{color}"{extra}, '
        f'tooltip="{node.kind}"'
    )


def _dataset_nodes(trace: dict[str, Any]) -> list[Node]:
    sources = {(s["namespace"], s["name"], s["version"]) for s in trace["sources"]}
    nodes = []
    for d in trace["datasets"]:
        node_id = _dataset_id(d)
        kind = "model" if d["kind"] == "MODEL" else "dataset"
        if (d["namespace"], d["name"], d["version"]) in sources and d["depth"] > 0:
            kind = "source"
        name = label(d["namespace"], d["name"])
        name = name if len(name) <= 40 else "…" + name[-39:]
        deleted = "\n(deleted)" if d["deleted_at"] else ""
        title = f"{name}\n{version(d['version'])}{deleted}"
        nodes.append(Node(node_id, kind, title, d))
    return nodes


def _run_nodes(trace: dict[str, Any]) -> list[Node]:
    nodes = []
    for r in trace["runs"]:
        training = f"\n{r['training']['algorithm']}" if r.get("training") else ""
        title = f"{r['job'].split('/', 1)[-1]}\nrun {short(r['run_id'])}{training}"
        nodes.append(Node(r["run_id"], "run", title, r))
    return nodes


def _deployment_nodes(trace: dict[str, Any]) -> list[Node]:
    nodes = []
    for i, d in enumerate(trace["deployments"]):
        if not d.get("is_traced_version"):
            continue
        until = "live" if d["valid_to"] is None else when(d["valid_to"])
        title = f"{d['environment']} · {d['action']}\nfrom {when(d['valid_from'])}\nto {until}"
        live = d["valid_to"] is None and d["action"] != "retire"
        nodes.append(Node(f"deployment:{i}", "deployment", title, {**d, "live": live}))
    return nodes


def _deployment_edges(trace: dict[str, Any]) -> list[str]:
    model = trace["model"]
    model_id = _dataset_id(model)
    return [
        f'{_q(model_id)} -> {_q(f"deployment:{i}")} [style=bold, color="#2b8a3e"];'
        for i, d in enumerate(trace["deployments"])
        if d.get("is_traced_version")
    ]


def _user_nodes(trace: dict[str, Any]) -> list[Node]:
    """People and services behind the runs and the traced version's deployments."""
    drawn = {r["actor"] for r in trace["runs"] if r.get("actor")}
    drawn |= {d["actor"] for d in trace["deployments"] if d.get("is_traced_version")}
    return [
        Node(f"user:{a['actor']}", "user", f"{who(a['actor'])}\n{a['kind'] or 'user'}", a)
        for a in trace["actors"]
        if a["actor"] in drawn
    ]


def _user_edges(trace: dict[str, Any]) -> list[str]:
    edges = [
        f"{_q('user:' + r['actor'])} -> {_q(r['run_id'])} [{PERSON_EDGE}];"
        for r in trace["runs"]
        if r.get("actor")
    ]
    edges += [
        f"{_q('user:' + d['actor'])} -> {_q(f'deployment:{i}')} [{PERSON_EDGE}];"
        for i, d in enumerate(trace["deployments"])
        if d.get("is_traced_version") and d.get("actor")
    ]
    return edges
