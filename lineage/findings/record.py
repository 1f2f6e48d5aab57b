"""Recording a review's drafts: open new findings, reopen resolved ones, count the rest as seen.

Identity is `FindingDraft.fingerprint`. Opening and reopening are audit events (see
lineage.findings.transitions for how each pairs with its row change); "seen again" only moves
last_seen, occurrences and last_review, so the log does not grow with every review run. The
descriptive fields (severity, title, explanation, evidence, occurred_at) follow the latest
draft: the finding reads as the review last saw it, and its status history stays in the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, select, update

from lineage.authz import Principal
from lineage.db import writer_transaction
from lineage.findings.draft import FindingDraft
from lineage.findings.transitions import (
    CHUNK,
    FINDINGS,
    Logged,
    apply_transition,
    catch_up,
    logged_transitions,
    status_values,
    transition_event,
    transition_run_id,
)
from lineage.findings.views import RecordOutcome
from lineage.timeutil import now_store_time

if TYPE_CHECKING:
    from lineage.store import AuditStore

Row = Mapping[str, Any]


def record_findings(
    store: AuditStore, drafts: Iterable[FindingDraft], *, review: str, principal: Principal
) -> RecordOutcome:
    """Store what one run of `review` found; `principal` is who ran it (the events' actor)."""
    found = {d.fingerprint: d for d in drafts}  # one finding named twice in a run is seen once
    if not found:
        return RecordOutcome()
    rows = _rows(store, found)
    repaired = catch_up(store, {f: r["transitions"] for f, r in rows.items()})
    if repaired:
        rows = _rows(store, found)
    new = [f for f in found if f not in rows]
    reopen = {f: row["transitions"] + 1 for f, row in rows.items() if row["status"] == "resolved"}
    wanted = {transition_run_id(f, 1): f for f in new}
    wanted.update({transition_run_id(f, n): f for f, n in reopen.items()})
    with store.engine.connect() as conn:
        # Opened by a run that crashed before its rows were written: use those events.
        logged = logged_transitions(conn, (transition_run_id(f, 1) for f in new))
    events = [
        _open_event(found[f], review, principal)
        for f in new
        if transition_run_id(f, 1) not in logged
    ]
    events += [_reopen_event(found[f], rows[f], n, review, principal) for f, n in reopen.items()]
    if events:
        store.ingest(events)
    now = now_store_time()
    with writer_transaction(store.engine) as conn:
        entries = logged_transitions(conn, wanted)
        opened = {f: entries[transition_run_id(f, 1)] for f in new}
        _insert(conn, [_new_row(found[f], opened[f], review, now) for f in new])
        for f, number in reopen.items():
            apply_transition(conn, entries[transition_run_id(f, number)], number)
        _seen(conn, [found[f] for f in rows], review, now)
        ids = _ids(conn, list(found))
    seen_again = len(rows) - len(reopen)
    return RecordOutcome(len(new), seen_again, len(reopen), repaired + len(logged), ids)


def _rows(store: AuditStore, found: Mapping[str, FindingDraft]) -> dict[str, Row]:
    with store.engine.connect() as conn:
        rows = _select(conn, FINDINGS.c, list(found))
    return {r["fingerprint"]: r for r in rows}


def _ids(conn: Connection, fingerprints: list[str]) -> tuple[int, ...]:
    return tuple(sorted(r["id"] for r in _select(conn, [FINDINGS.c.id], fingerprints)))


def _select(conn: Connection, columns: Any, fingerprints: list[str]) -> list[Row]:
    rows: list[Row] = []
    for start in range(0, len(fingerprints), CHUNK):
        chunk = fingerprints[start : start + CHUNK]
        query = select(*columns).where(FINDINGS.c.fingerprint.in_(chunk))
        rows.extend(conn.execute(query).mappings())
    return rows


def _target(draft: FindingDraft) -> dict[str, str]:
    return {"fingerprint": draft.fingerprint, "rule": draft.rule, "subject": draft.subject}


def _details(draft: FindingDraft, review: str) -> dict[str, Any]:
    return {"kind": draft.kind, "severity": draft.severity, "review": review, "title": draft.title}


def _open_event(draft: FindingDraft, review: str, principal: Principal) -> dict[str, Any]:
    details = _details(draft, review)
    return transition_event(principal, "finding.opened", _target(draft), 1, details)


def _reopen_event(
    draft: FindingDraft, row: Row, number: int, review: str, principal: Principal
) -> dict[str, Any]:
    details = {**_details(draft, review), "resolved_at": row["status_changed_at"]}
    return transition_event(principal, "finding.reopened", _target(draft), number, details)


def _described(draft: FindingDraft) -> dict[str, Any]:
    return {
        "severity": draft.severity,
        "title": draft.title,
        "explanation": draft.explanation,
        "evidence": draft.evidence,
        "occurred_at": draft.occurred_at,
    }


def _new_row(draft: FindingDraft, entry: Logged, review: str, now: str) -> dict[str, Any]:
    return {
        **_target(draft),
        **_described(draft),
        **status_values(entry, 1),
        "kind": draft.kind,
        "first_seen": entry.event_time,
        "last_seen": now,
        "occurrences": 1,
        "last_review": review,
        "opened_seq": entry.seq,
    }


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(FINDINGS), rows)


def _seen(conn: Connection, drafts: list[FindingDraft], review: str, now: str) -> None:
    """Seen again (reopened ones too): the latest description, one more occurrence."""
    if not drafts:
        return
    statement = (
        update(FINDINGS)
        .where(FINDINGS.c.fingerprint == bindparam("fp"))
        .values(
            {
                **{name: bindparam(f"new_{name}") for name in _described(drafts[0])},
                "last_seen": now,
                "last_review": review,
                "occurrences": FINDINGS.c.occurrences + 1,
            }
        )
    )
    params = [
        {"fp": d.fingerprint, **{f"new_{k}": v for k, v in _described(d).items()}} for d in drafts
    ]
    conn.execute(statement, params)
