"""Which log entries a trace stands on, and why each one is needed.

A trace is derived from projections; the evidence is the log entries they were projected from:
every entry of every run in the trace (and of their parent runs, which carry who launched them),
of the evaluations and deployments shown, and the entries that deleted a dataset on the path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, text

from lineage.queries.nodes import chunked_rows

PARENTS = text(
    "SELECT run_id, parent_run_id FROM runs WHERE run_id IN :ids AND parent_run_id IS NOT NULL"
).bindparams(bindparam("ids", expanding=True))

RUN_ENTRIES = text(
    """
    SELECT seq, event_time, event_type, job_namespace, job_name, run_id
    FROM audit_log WHERE run_id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))

DELETIONS = text(
    """
    SELECT l.seq, l.event_time, l.event_type, l.job_namespace, l.job_name, l.run_id,
           d.namespace, d.name
    FROM data_access da
    JOIN datasets d ON d.id = da.dataset_id
    JOIN audit_log l ON l.seq = da.seq
    WHERE da.action = 'delete' AND d.namespace = :namespace AND d.name = :name
    """
)


def run_reasons(trace: dict[str, Any]) -> dict[str, str]:
    """Each run the trace shows, with the claim it supports."""
    reasons: dict[str, str] = {}
    for run in trace["runs"]:
        reasons.setdefault(run["run_id"], f"lineage: run of {run['job']}")
    for evaluation in trace["evaluations"]:
        reasons.setdefault(evaluation["run_id"], "evaluation of the traced version")
    for dep in trace["deployments"]:
        reasons.setdefault(
            dep["run_id"],
            f"deployment: {dep['action']} of {dep['version']} in {dep['environment']}",
        )
    return reasons


def relied_on(conn: Connection, trace: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries behind the trace, in log order, each with `why` it is included."""
    reasons = run_reasons(trace)
    for row in chunked_rows(conn, PARENTS, list(reasons)):
        reasons.setdefault(
            row["parent_run_id"], f"parent run: who launched run {row['run_id'][:8]}"
        )
    found: dict[int, dict[str, Any]] = {}
    for row in chunked_rows(conn, RUN_ENTRIES, list(reasons)):
        found[row["seq"]] = _entry(row, reasons[row["run_id"]])
    for dataset in trace["datasets"]:
        if dataset["deleted_at"]:
            params = {"namespace": dataset["namespace"], "name": dataset["name"]}
            for row in conn.execute(DELETIONS, params):
                why = f"deletion of {row.namespace}/{row.name}"
                found.setdefault(row.seq, _entry(dict(row._mapping), why))
    return [found[seq] for seq in sorted(found)]


def _entry(row: dict[str, Any], why: str) -> dict[str, Any]:
    job = f"{row['job_namespace']}/{row['job_name']}" if row["job_name"] else None
    return {
        "seq": row["seq"],
        "event_time": row["event_time"],
        "event_type": row["event_type"],
        "job": job,
        "run_id": row["run_id"],
        "why": why,
    }
