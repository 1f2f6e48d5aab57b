"""Reading findings: filtered lists (most severe, then most recently seen, first), one finding,
its status history from the log, and counts for overview widgets."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Engine, case, func, select

from lineage.findings.draft import SEVERITIES
from lineage.findings.errors import FindingError, FindingNotFound
from lineage.findings.transitions import FINDINGS, logged_transitions, transition_run_id
from lineage.findings.views import (
    FILTERS,
    STATUSES,
    UNRESOLVED,
    Choice,
    FindingCounts,
    FindingView,
    StatusChange,
    choices,
    view_of,
)
from lineage.timeutil import to_store_time

SEVERITY_RANK = case({s: i for i, s in enumerate(SEVERITIES)}, value=FINDINGS.c.severity)


def list_findings(
    engine: Engine,
    *,
    status: Choice = None,
    kind: Choice = None,
    severity: Choice = None,
    since: str | None = None,
    until: str | None = None,
) -> list[FindingView]:
    """Findings matching every filter given. status, kind, severity: one name or several.

    since/until (ISO times): findings seen during the period, i.e. last seen at or after
    `since` and first seen before `until`.
    """
    where = check_filters(status=status, kind=kind, severity=severity, since=since, until=until)
    query = select(FINDINGS).where(*where)
    query = query.order_by(SEVERITY_RANK, FINDINGS.c.last_seen.desc(), FINDINGS.c.id.desc())
    with engine.connect() as conn:
        return [view_of(row) for row in conn.execute(query).mappings()]


def check_filters(
    *,
    status: Choice = None,
    kind: Choice = None,
    severity: Choice = None,
    since: str | None = None,
    until: str | None = None,
) -> list[ColumnElement[bool]]:
    """The filters as SQL conditions; an unknown name or a bad time raises FindingError."""
    where: list[ColumnElement[bool]] = []
    for name, value in (("status", status), ("kind", kind), ("severity", severity)):
        chosen = choices(name, value, FILTERS[name])
        if chosen is not None:
            where.append(FINDINGS.c[name].in_(chosen))
    if since is not None:
        where.append(FINDINGS.c.last_seen >= _time("since", since))
    if until is not None:
        where.append(FINDINGS.c.first_seen < _time("until", until))
    return where


def _time(name: str, value: str) -> str:
    try:
        return to_store_time(value)
    except ValueError as exc:
        raise FindingError(f"{name}: {exc}") from exc


def get_finding(engine: Engine, finding_id: int) -> FindingView:
    with engine.connect() as conn:
        row = conn.execute(select(FINDINGS).where(FINDINGS.c.id == finding_id)).mappings().first()
    if row is None:
        raise FindingNotFound(f"no finding with id {finding_id}")
    return view_of(row)


def finding_history(engine: Engine, finding_id: int) -> list[StatusChange]:
    """The finding's status events as the log holds them, oldest first."""
    with engine.connect() as conn:
        row = conn.execute(
            select(FINDINGS.c.fingerprint, FINDINGS.c.transitions).where(
                FINDINGS.c.id == finding_id
            )
        ).first()
        if row is None:
            raise FindingNotFound(f"no finding with id {finding_id}")
        ids = [transition_run_id(row.fingerprint, n) for n in range(1, row.transitions + 1)]
        entries = logged_transitions(conn, ids)
    return [
        StatusChange(e.seq, e.event_time, e.action, e.status, e.actor, e.note)
        for e in sorted(entries.values(), key=lambda e: e.seq)
    ]


def finding_counts(engine: Engine) -> FindingCounts:
    """Every finding by status; the unresolved ones by severity (what still needs attention)."""
    with engine.connect() as conn:
        by_status = dict(
            conn.execute(select(FINDINGS.c.status, func.count()).group_by(FINDINGS.c.status)).all()
        )
        by_severity = dict(
            conn.execute(
                select(FINDINGS.c.severity, func.count())
                .where(FINDINGS.c.status.in_(UNRESOLVED))
                .group_by(FINDINGS.c.severity)
            ).all()
        )
    return FindingCounts(
        status={s: by_status.get(s, 0) for s in STATUSES},
        severity={s: by_severity.get(s, 0) for s in SEVERITIES},
    )
