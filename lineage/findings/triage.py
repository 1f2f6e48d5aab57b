"""Triage: acknowledge or resolve a finding, each change an audit event.

Allowed: open -> acknowledged, open -> resolved, acknowledged -> resolved. Only a review reopens
a resolved finding (when it fires again). Resolving needs a note saying why. Who may triage
(TRIAGE_FINDINGS) is checked by the front ends through lineage.authz, as for every permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from lineage.authz import Principal
from lineage.db import writer_transaction
from lineage.findings.errors import FindingConflict, FindingError, FindingNotFound
from lineage.findings.transitions import (
    FINDINGS,
    apply_transition,
    catch_up,
    logged_transitions,
    transition_event,
    transition_run_id,
)
from lineage.findings.views import FindingView, view_of

if TYPE_CHECKING:
    from lineage.store import AuditStore

ALLOWED = {"open": ("acknowledged", "resolved"), "acknowledged": ("resolved",)}
ACTION = {"acknowledged": "finding.acknowledged", "resolved": "finding.resolved"}


def change_status(
    store: AuditStore,
    principal: Principal,
    finding_id: int,
    status: str,
    note: str | None = None,
) -> FindingView:
    """Move the finding to `status` ("acknowledged" or "resolved") and return it as it is now."""
    if status not in ACTION:
        raise FindingError(f"cannot set a finding to {status!r}: choose acknowledged or resolved")
    note = (note or "").strip() or None
    if status == "resolved" and note is None:
        raise FindingError(f"resolving finding {finding_id} needs a note saying why")
    row = _row(store, finding_id)
    if catch_up(store, {row["fingerprint"]: row["transitions"]}):
        row = _row(store, finding_id)
        if row["status"] == status:  # a crashed attempt of this very change, now completed
            return view_of(row)
    if status not in ALLOWED.get(row["status"], ()):
        raise FindingError(f"finding {finding_id} is {row['status']}: it cannot become {status}")
    number = row["transitions"] + 1
    store.ingest([transition_event(principal, ACTION[status], row, number, _details(row, note))])
    with writer_transaction(store.engine) as conn:
        entry = logged_transitions(conn, [transition_run_id(row["fingerprint"], number)])
        applied = bool(entry) and apply_transition(conn, next(iter(entry.values())), number)
    if not applied:
        raise FindingConflict(
            f"finding {finding_id} was changed by someone else meanwhile: look at it again"
        )
    return view_of(_row(store, finding_id))


def _details(row: Any, note: str | None) -> dict[str, Any]:
    details = {"kind": row["kind"], "severity": row["severity"], "from": row["status"]}
    return {**details, "note": note} if note else details


def _row(store: AuditStore, finding_id: int) -> Any:
    with store.engine.connect() as conn:
        row = conn.execute(select(FINDINGS).where(FINDINGS.c.id == finding_id)).mappings().first()
    if row is None:
        raise FindingNotFound(f"no finding with id {finding_id}")
    return row
