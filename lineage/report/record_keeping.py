"""The record-keeping fields regulators expect of logs, answered from the report's own sections.

EU AI Act (Regulation (EU) 2024/1689) Article 12(3) lists, as a minimum for the systems of
Annex III point 1(a), the period of each use, the reference database input data was checked
against, the input data for which the search led to a match, and the natural persons involved in
verifying the results (Art. 14(5)). mlaudit's analogues for an ML platform: deployment intervals,
the data that trained and evaluated the versions in use, the evaluation checks and their outcome,
and who evaluated, deployed or resolved findings. ISO/IEC 42001:2023 Annex A controls are mapped
to the same sections (see docs/COMPLIANCE-REPORT.md for the texts).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, text

from lineage.report.activity import run_inputs

VERSION_RUNS = text(
    """
    SELECT d.namespace || '/' || d.name AS model, v.version, v.run_id, 'trained' AS why
    FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
    WHERE d.kind = 'MODEL' AND v.run_id IS NOT NULL
      AND d.namespace || '/' || d.name || '@' || v.version IN :keys
    UNION ALL
    SELECT d.namespace || '/' || d.name, v.version, e.run_id, 'evaluated'
    FROM evaluations e JOIN dataset_versions v ON v.id = e.model_version_id
    JOIN datasets d ON d.id = v.dataset_id
    WHERE d.kind = 'MODEL' AND d.namespace || '/' || d.name || '@' || v.version IN :keys
    """
).bindparams(bindparam("keys", expanding=True))

ART12 = (
    ("Art. 12(1)", "automatic recording of events (logs) over the lifetime of the system",
     ("activity", "integrity")),
    ("Art. 12(2)(a)", "events for identifying situations that may result in a risk "
     "(Art. 79(1)) or in a substantial modification", ("models", "deployments", "findings")),
    ("Art. 12(2)(b)", "events for facilitating post-market monitoring (Art. 72)",
     ("evaluations", "findings")),
    ("Art. 12(2)(c)", "events for monitoring the operation of the system (Art. 26(5))",
     ("record_keeping.period_of_use", "deployments", "access_by_role")),
    ("Art. 12(3)(a)", "period of each use (start and end date and time of each use)",
     ("record_keeping.period_of_use",)),
    ("Art. 12(3)(b)", "reference database against which input data has been checked",
     ("record_keeping.reference_data",)),
    ("Art. 12(3)(c)", "input data for which the search has led to a match",
     ("record_keeping.input_data_checks",)),
    ("Art. 12(3)(d)", "natural persons involved in the verification of the results "
     "(Art. 14(5))", ("record_keeping.verified_by", "people")),
)  # fmt: skip
ISO_42001 = (
    ("A.6.2.8", "AI system recording of event logs", ("activity", "integrity")),
    ("A.6.2.4", "AI system verification and validation",
     ("evaluations", "record_keeping.input_data_checks")),
    ("A.6.2.5", "AI system deployment", ("deployments", "record_keeping.period_of_use")),
    ("A.6.2.6", "AI system operation and monitoring", ("findings", "access_by_role")),
    ("A.7.5", "Data provenance", ("models", "record_keeping.reference_data")),
)  # fmt: skip


def record_keeping(
    conn: Connection, in_use: list[dict[str, Any]], evaluations: list[dict[str, Any]],
    deployments: list[dict[str, Any]], findings: list[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    return {
        "period_of_use": _period_of_use(in_use),
        "reference_data": reference_data(conn, in_use),
        "input_data_checks": [
            {**{k: e[k] for k in ("model", "version", "run_id", "event_time")}, **check}
            for e in evaluations
            for check in e["checks"]
        ],
        "verified_by": _verified_by(evaluations, deployments, findings),
    }


def _period_of_use(in_use: list[dict[str, Any]]) -> list[dict[str, Any]]:
    systems: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in in_use:
        systems.setdefault((item["model"], item["environment"]), []).append(
            {
                "version": item["version"],
                "from": item["in_period_from"],
                "to": item["in_period_to"],
                "open": item["valid_to"] is None,
            }
        )
    return [
        {"model": model, "environment": env, "uses": uses}
        for (model, env), uses in sorted(systems.items())
    ]


def reference_data(conn: Connection, in_use: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The data that trained or evaluated each model version in use during the period."""
    keys = sorted({f"{i['model']}@{i['version']}" for i in in_use if i["version"]})
    if not keys:
        return []
    runs = [dict(r._mapping) for r in conn.execute(VERSION_RUNS, {"keys": keys})]
    inputs = run_inputs(conn, [r["run_id"] for r in runs])
    found: dict[tuple[str, str], dict[str, set[str]]] = {}
    for run in runs:
        data = found.setdefault(
            (run["model"], run["version"]), {"trained": set(), "evaluated": set()}
        )
        for i in inputs.get(run["run_id"], []):
            if i["kind"] != "MODEL":
                data[run["why"]].add(f"{i['namespace']}/{i['name']}@{i['version'] or '-'}")
    return [
        {"model": model, "version": version, **{k: sorted(v) for k, v in data.items()}}
        for (model, version), data in sorted(found.items())
    ]


def _verified_by(
    evaluations: list[dict[str, Any]],
    deployments: list[dict[str, Any]],
    findings: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    did: dict[str, set[str]] = {}
    for e in evaluations:
        did.setdefault(e["by"] or "unknown", set()).add(f"evaluated {e['model']}@{e['version']}")
    for d in deployments:
        what = f"{d['action']} {d['model']}@{d['version']} to {d['environment']}"
        did.setdefault(d["by"] or "unknown", set()).add(what)
    for f in findings:
        if f["status_by"] and f["status"] != "open":
            did.setdefault(f["status_by"], set()).add(f"{f['status']} finding {f['id']}")
    return [{"actor": actor, "did": sorted(acts)} for actor, acts in sorted(did.items())]


def mapping(body: dict[str, Any]) -> dict[str, Any]:
    """Each expected field with the report sections that answer it and how many records each has."""
    return {
        "eu_ai_act_art12": {
            "source": "Regulation (EU) 2024/1689 (AI Act), Article 12 Record-keeping",
            "fields": [_field(body, ref, expects, where) for ref, expects, where in ART12],
        },
        "iso_42001": {
            "source": "ISO/IEC 42001:2023, Annex A (reference control objectives and controls)",
            "controls": [_field(body, ref, name, where) for ref, name, where in ISO_42001],
        },
    }


def _field(body: dict[str, Any], ref: str, expects: str, where: tuple[str, ...]) -> dict[str, Any]:
    sections = [{"section": path, "records": _records(body, path)} for path in where]
    return {"ref": ref, "expects": expects, "answered_by": sections}


def _records(body: dict[str, Any], path: str) -> int | None:
    """How many records a section holds: list items, findings items, or log entries."""
    value: Any = body
    for part in path.split("."):
        value = value[part]
    if isinstance(value, list):
        return len(value)
    for key in ("items", "in_period"):
        if isinstance(value.get(key), list):
            return len(value[key])
    if "entries" in value:
        return int(value["entries"])
    return len(value)
