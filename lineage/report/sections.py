"""The HTML sections of a compliance report, one per body section: no scripts, no assets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str = "None.") -> str:
    if not rows:
        return f"<p class=muted>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<div class=scroll><table><tr>{head}</tr>{body}</table></div>"


def cell(value: Any) -> str:
    if value is None:
        return "<span class=muted>-</span>"
    if isinstance(value, bool):
        return "<span class=ok>yes</span>" if value else "<span class=bad>no</span>"
    if isinstance(value, list | dict):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "<br>".join(escape(v) for v in value) or "<span class=muted>-</span>"
        return f"<code>{escape(json.dumps(value, sort_keys=True))}</code>"
    return escape(str(value))


def section(title: str, intro: str, content: str) -> str:
    return f"<h2>{escape(title)}</h2><p class=muted>{escape(intro)}</p>{content}"


def activity(body: dict[str, Any]) -> str:
    a = body["activity"]
    rows = [[category, n] for category, n in a["by_category"].items()]
    span = f"log entries {a['first_seq']} to {a['last_seq']}" if a["entries"] else "no entries"
    return section(
        "What happened",
        f"{a['entries']} log entries in the period ({span}); an entry can be in several "
        "categories.",
        table(["category", "entries"], rows),
    )


def models(body: dict[str, Any]) -> str:
    rows = [
        [m["model"], m["version"], m["created_at"], m["training_run"]["job"],
         m["training_run"]["algorithm"], m["training_run"]["by"], m["training_data"]]
        for m in body["models"]
    ]  # fmt: skip
    headers = ["model", "version", "created", "training job", "algorithm", "by", "training data"]
    return section(
        "New models and versions",
        "Model versions produced in the period, with the run that trained them and its data.",
        table(headers, rows),
    )


def deployments(body: dict[str, Any]) -> str:
    rows = [
        [d["environment"], d["model"], d["version"], d["action"], d["previous_version"],
         d["valid_from"], d["valid_to"], d["by"]]
        for d in body["deployments"]
    ]  # fmt: skip
    uses = [
        [s["model"], s["environment"], u["version"], u["from"], u["to"], u["open"]]
        for s in body["record_keeping"]["period_of_use"]
        for u in s["uses"]
    ]
    return section(
        "Deployments",
        "Deployment actions taken in the period; below, every interval a version served during "
        "the period (clipped to it), i.e. each system's period of use.",
        table(["environment", "model", "version", "action", "previous", "from", "to", "by"], rows)
        + table(["model", "environment", "version", "from", "to", "still serving"], uses),
    )


def evaluations(body: dict[str, Any]) -> str:
    rows = [
        [e["model"], e["version"], e["event_time"], e["metrics"],
         [f"{c['name']}: {'passed' if c['passed'] else 'FAILED'}" for c in e["checks"]],
         e["data"], e["by"]]
        for e in body["evaluations"]
    ]  # fmt: skip
    return section(
        "Evaluations",
        "Evaluations run in the period: metrics, each check's outcome, data, who ran them.",
        table(["model", "version", "time", "metrics", "checks", "data", "by"], rows),
    )


def people(body: dict[str, Any]) -> str:
    roles = [
        [role, v["actors"], v["data_access"], v["user_actions"]]
        for role, v in body["access_by_role"].items()
    ]
    persons = [
        [p["actor"], p["kind"], p["roles"] or ["no account"], p["entries"], p["first"], p["last"]]
        for p in body["people"]
    ]
    return section(
        "Access by role and people involved",
        "People appear as pseudonyms only (an auditor with the reveal permission can resolve "
        "one in the vault); roles come from their mlaudit account.",
        table(["role", "actors", "dataset access", "user actions"], roles)
        + table(["actor", "kind", "roles", "entries", "first", "last"], persons),
    )


def findings(body: dict[str, Any]) -> str:
    f = body["findings"]
    rows = [
        [i["id"], i["severity"], i["kind"], i["rule"], i["subject"], i["title"], i["status"],
         i["first_seen"], i["last_seen"], i["status_by"], i["resolution_note"]]
        for i in f["items"]
    ]  # fmt: skip
    headers = ["id", "severity", "kind", "rule", "subject", "title", "status", "first seen"]
    return section(
        "Findings",
        f"{len(f['items'])} findings raised or seen again in the period: {f['opened']} new, "
        f"{f['acknowledged_in_period']} acknowledged and {f['resolved_in_period']} resolved in "
        "it; status as of the report's generation.",
        table([*headers, "last seen", "status by", "resolution"], rows),
    )
