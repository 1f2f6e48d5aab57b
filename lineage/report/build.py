"""The body of a compliance report: what happened in a period, who did it, what the reviews found,
and the integrity evidence, as JSON-ready data (the part that is signed, see lineage.report.sign).

People appear only as pseudonyms (`psn:<key id>:<hex>`) with their account roles; services by
their service name. Every figure is read by event time within [since, until], both included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lineage.accounts.identity import subject_of
from lineage.authz import Principal
from lineage.report import activity as act
from lineage.report.findings import findings_section
from lineage.report.integrity import period_heads, reference_head, store_identity, verification
from lineage.report.people import access_by_role, people_involved
from lineage.report.record_keeping import mapping, record_keeping
from lineage.store import AuditStore
from lineage.timeutil import now_store_time, to_store_time
from lineage.verify import verify_log

FORMAT = "mlaudit compliance report v1"


def report_period(since: str | datetime, until: str | datetime) -> dict[str, str]:
    """The period as store time text; an empty or reversed period is an error naming both ends."""
    period = {"since": to_store_time(since), "until": to_store_time(until)}
    if period["since"] >= period["until"]:
        raise ValueError(
            f"report period is empty: since {period['since']} is not before until {period['until']}"
        )
    return period


def build_report(
    store: AuditStore,
    since: str | datetime,
    until: str | datetime,
    *,
    generated_by: Principal,
) -> dict[str, Any]:
    """The report body for the period (see docs/COMPLIANCE-REPORT.md for each section)."""
    period = report_period(since, until)
    verified = verify_log(store.engine, keys=store.keys)
    with store.engine.connect() as conn, conn.begin():
        head = reference_head(conn)
        in_use = act.periods_of_use(conn, period)
        body: dict[str, Any] = {
            "format": FORMAT,
            "period": period,
            "generated_at": now_store_time(),
            "generated_by": _issuer(store, generated_by),
            "store": store_identity(conn),
            "built_against": head.to_json() if head else None,
            "activity": act.activity(conn, period),
            "models": act.new_models(conn, period),
            "deployments": act.deployments(conn, period),
            "evaluations": act.evaluations(conn, period),
            "access_by_role": access_by_role(conn, period),
            "people": people_involved(conn, period),
            "integrity": {
                **verification(verified),
                "heads": period_heads(conn, **period, reference=head),
            },
        }
        body["findings"] = findings_section(store.engine, **period)
        body["record_keeping"] = record_keeping(
            conn, in_use, body["evaluations"], body["deployments"], body["findings"]["items"]
        )
    body.update(mapping(body))
    return body


def _issuer(store: AuditStore, principal: Principal) -> dict[str, Any]:
    # Services are not people: their names stay readable, as the privacy rules keep them.
    subject = principal.name if principal.kind == "service" else subject_of(store, principal.name)
    return {
        "subject": subject,
        "kind": principal.kind,
        "roles": sorted(principal.roles),
    }
