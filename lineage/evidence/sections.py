"""The sections of the HTML evidence report: lineage, evaluations, deployments, people, entries.

Tables show what a reader needs at a glance (times to the second, short pseudonyms and run ids
where the full value is printed once elsewhere); every exact value is in the embedded JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

TIME = re.compile(r"\d{4}-\d{2}-\d{2}\u00a0\d{2}:\d{2}:\d{2}")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], mono: Sequence[int] = ()) -> str:
    """Columns in `mono` are identifiers (monospace, broken anywhere); times never wrap."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    lines = []
    for row in rows:
        cells = [f"<td{_class(i, v, mono)}>{cell(v)}</td>" for i, v in enumerate(row)]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    if not lines:
        lines.append(f"<tr><td colspan={len(headers)} class=muted>none</td></tr>")
    return f"<div class=scroll><table><tr>{head}</tr>{''.join(lines)}</table></div>"


def _class(index: int, value: Any, mono: Sequence[int]) -> str:
    if index in mono:
        return " class=mono"
    return " class=t" if isinstance(value, str) and TIME.fullmatch(value) else ""


def cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, dict | list):
        return escape(json.dumps(value, sort_keys=True))
    return escape(str(value))


def when(value: str | None) -> str:
    """To the second, UTC; the microseconds are in the JSON."""
    # A no-break space keeps date and time on one line in narrow columns.
    return value[:19].replace("T", "\u00a0") if value else "-"


def who(actor: str | None) -> str:
    if actor and actor.startswith("psn:"):
        return actor[: actor.rfind(":") + 13] + "…"
    return actor or "-"


def dataset_name(namespace: str, name: str) -> str:
    if name.startswith("/") and "://" not in namespace:
        return f"{namespace}://{name}"
    return f"{namespace}/{name}"


def pairs(values: dict[str, Any] | None, *, digits: int | None = None) -> str:
    """`k=v, ...`; metrics read best rounded (`digits`), hyperparameters exactly as given."""
    if not values:
        return "-"
    return ", ".join(
        f"{k}={v:.{digits}f}" if digits is not None and isinstance(v, float) else f"{k}={v}"
        for k, v in sorted(values.items())
    )


def lineage(trace: dict[str, Any]) -> str:
    datasets = table(
        ["depth", "dataset", "version", "kind", "created (UTC)", "produced by run", "deleted"],
        (
            [
                d["depth"],
                dataset_name(d["namespace"], d["name"]),
                d["version"],
                d["kind"],
                when(d["created_at"]),
                (d["produced_by"] or "")[:8],
                when(d["deleted_at"]),
            ]
            for d in trace["datasets"]
        ),
        mono=(2, 5),
    )
    runs = table(
        ["run", "job", "state", "started", "ended", "by", "training"],
        (
            [
                r["run_id"],
                r["job"],
                r["state"],
                when(r["started_at"]),
                when(r["ended_at"]),
                who(r["actor"]),
                _training(r.get("training")),
            ]
            for r in trace["runs"]
        ),
        mono=(0, 5),
    )
    sources = ", ".join(
        f"{dataset_name(s['namespace'], s['name'])} @ {s['version']}" for s in trace["sources"]
    )
    return (
        "<h2>Lineage</h2><h3>Datasets upstream (depth 0 = the model)</h3>"
        f"{datasets}<h3>Runs</h3>{runs}<p><b>Raw sources:</b> {escape(sources or '-')}</p>"
    )


def _training(training: dict[str, Any] | None) -> str:
    if not training:
        return "-"
    return f"{training.get('algorithm')} ({pairs(training.get('hyperparameters'))})"


def evaluations(rows: list[dict[str, Any]]) -> str:
    body = (
        [
            when(e["event_time"]),
            e["run_id"][:8],
            pairs(e["metrics"], digits=4),
            ", ".join(f"{c['name']}: {'pass' if c.get('passed') else 'FAIL'}" for c in e["checks"]),
        ]
        for e in rows
    )
    return "<h2>Evaluations</h2>" + table(["time", "run", "metrics", "checks"], body, mono=(1,))


def deployments(rows: list[dict[str, Any]]) -> str:
    body = (
        [
            d["environment"],
            d["version"],
            d["action"],
            when(d["valid_from"]),
            when(d["valid_to"]) if d["valid_to"] else "live",
            who(d["actor"]),
            "traced version" if d.get("is_traced_version") else "",
        ]
        for d in rows
    )
    headers = ["environment", "version", "action", "from", "to", "by", "note"]
    return "<h2>Deployments of this model</h2>" + table(headers, body, mono=(1, 5))


def actors(rows: list[dict[str, Any]]) -> str:
    body = ([a["actor"], a["kind"], len(a["runs"]), ", ".join(a["deployments"])] for a in rows)
    return (
        "<h2>People and services involved</h2><p class=muted>People appear as pseudonyms; "
        "an auditor with the reveal permission resolves them with <code>mlaudit reveal</code>."
        "</p>" + table(["actor", "kind", "runs", "deployments"], body, mono=(0,))
    )


def entries(pack: dict[str, Any]) -> str:
    body = (
        [
            e["seq"],
            when(e["event_time"]),
            e["event_type"],
            e["job"],
            e["why"],
            e["proof"]["leaf_hash"],
        ]
        for e in pack["entries"]
    )
    headers = ["seq", "event time", "type", "job", "why it is needed", "leaf hash"]
    late = ""
    if pack["uncovered"]:
        late = "<h3 class=bad>Not covered by the signed head yet</h3>" + table(
            ["seq", "event time", "type", "job", "why it is needed"],
            (
                [e["seq"], when(e["event_time"]), e["event_type"], e["job"], e["why"]]
                for e in pack["uncovered"]
            ),
        )
    return (
        "<h2>Log entries this report relies on</h2><p class=muted>Each one's bytes and inclusion "
        "proof are in the embedded JSON.</p>" + table(headers, body, mono=(5,)) + late
    )
