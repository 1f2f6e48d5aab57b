"""A finding's status changes as audit events, crash-safe although they take two transactions.

Why two: `AuditStore.ingest` is the one path into the log and commits in its own writer
transaction (it takes the single-writer lock itself, on its own connection), so an event and the
findings row it changes cannot share a transaction without re-implementing the ingest path.

How it stays safe: each event is named before it is written. The n-th status event of a finding
(n = 1 is "opened") carries the run id `uuid5(fingerprint/n)`, and the row's `transitions`
counts the events applied to it. A change is (1) append the event for transition n + 1 to the
log, (2) apply it to the row in a transaction that requires `transitions` to still be n. The row
is always written from the stored entry (its time, its actor as the log holds it, its note), so
a later repair writes exactly what the first attempt would have.
- A crash before (1) leaves nothing behind.
- A crash between (1) and (2) leaves an event the row lacks. Every later write to the finding
  (a triage, the next review run) first looks up the event for transition n + 1 by its run id
  (an indexed column) and applies it (`catch_up`), then acts on the repaired state. The logged
  change takes effect once and is never recorded twice: re-running a resolve finds the finding
  resolved; a review re-run finds the opening event and inserts the row from it.
So the log never lacks an event for a status the table shows, and a re-run never duplicates one.

Only entries written by this module count (producer mlaudit, namespace `mlaudit`, no submitter,
target naming the finding), so an event sent through the ingest API with a guessed run id
cannot change a finding's status. Two people changing one finding at the same moment may both
get an event logged; the second row write finds `transitions` moved and raises FindingConflict.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from lineage.accounts.actions import JOB_NAMESPACE, user_action_event
from lineage.authz import Principal
from lineage.db import writer_transaction
from lineage.facet_keys import PRODUCER
from lineage.models import LogEntry
from lineage.models.findings import Finding

if TYPE_CHECKING:
    from lineage.store import AuditStore

FINDINGS = Finding.__table__
STATUS_AFTER = {
    "finding.opened": "open",
    "finding.reopened": "open",
    "finding.acknowledged": "acknowledged",
    "finding.resolved": "resolved",
}
_NAMESPACE = uuid.UUID("5f6b1b52-9a1e-4f0e-9d8c-6d6c61756469")
CHUNK = 500


def transition_run_id(fingerprint: str, number: int) -> str:
    """The run id of the finding's `number`-th status event (1: opened)."""
    return str(uuid.uuid5(_NAMESPACE, f"{fingerprint}/{number}"))


@dataclass(frozen=True)
class Logged:
    """A finding's status event as stored in the log."""

    seq: int
    run_id: str
    fingerprint: str
    action: str
    event_time: str
    actor: str | None
    details: dict[str, Any]

    @property
    def status(self) -> str:
        return STATUS_AFTER[self.action]

    @property
    def note(self) -> str | None:
        return self.details.get("note")


def transition_event(
    principal: Principal,
    action: str,
    finding: Mapping[str, Any],
    number: int,
    details: dict[str, Any],
) -> dict[str, Any]:
    """The user-action event of a finding's `number`-th transition."""
    target = {
        "kind": "finding",
        "name": finding["fingerprint"],
        "finding": finding["fingerprint"],
        "rule": finding["rule"],
        "subject": finding["subject"],
    }
    event = user_action_event(principal, action, target, details=details)
    event["run"]["runId"] = transition_run_id(finding["fingerprint"], number)
    return event


def logged_transitions(conn: Connection, run_ids: Iterable[str]) -> dict[str, Logged]:
    """The stored events with these run ids, the first per run id, when this module wrote them."""
    wanted = list(dict.fromkeys(run_ids))
    found: dict[str, Logged] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = conn.execute(
            select(
                LogEntry.seq, LogEntry.run_id, LogEntry.event_time, LogEntry.actor, LogEntry.payload
            )
            .where(LogEntry.run_id.in_(wanted[start : start + CHUNK]))
            .where(LogEntry.job_namespace == JOB_NAMESPACE, LogEntry.submitter.is_(None))
            .order_by(LogEntry.seq)
        )
        for seq, run_id, event_time, actor, payload in rows:
            entry = _parse(seq, run_id, event_time, actor, payload)
            if entry is not None:
                found.setdefault(run_id, entry)
    return found


def _parse(seq: int, run_id: str, at: str, actor: str | None, payload: str) -> Logged | None:
    event = json.loads(payload)
    facet = event.get("run", {}).get("facets", {}).get("mlaudit_user_action") or {}
    target = facet.get("target") or {}
    action = facet.get("action")
    if event.get("producer") != PRODUCER or action not in STATUS_AFTER:
        return None
    fingerprint = target.get("finding")
    if not isinstance(fingerprint, str) or target.get("kind") != "finding":
        return None
    return Logged(seq, run_id, fingerprint, action, at, actor, facet.get("details") or {})


def status_values(entry: Logged, number: int) -> dict[str, Any]:
    """The row's status columns once `entry`, its `number`-th transition, is applied."""
    return {
        "status": entry.status,
        "status_changed_at": entry.event_time,
        "status_by": entry.actor or "unknown",
        "status_seq": entry.seq,
        "resolution_note": entry.note if entry.status == "resolved" else None,
        "transitions": number,
    }


def apply_transition(conn: Connection, entry: Logged, number: int) -> bool:
    """Apply the `number`-th transition if the row is still at the one before; False otherwise."""
    result = conn.execute(
        update(FINDINGS)
        .where(FINDINGS.c.fingerprint == entry.fingerprint)
        .where(FINDINGS.c.transitions == number - 1)
        .values(**status_values(entry, number))
    )
    return result.rowcount == 1


def catch_up(store: AuditStore, positions: Mapping[str, int]) -> int:
    """Apply logged transitions the rows lack (see the module docstring); returns how many.

    positions: fingerprint -> the row's `transitions`.
    """
    pending, repaired = dict(positions), 0
    while pending:
        wanted = {transition_run_id(f, n + 1): f for f, n in pending.items()}
        with writer_transaction(store.engine) as conn:
            found = logged_transitions(conn, wanted)
            moved = {}
            for run_id, entry in found.items():
                fingerprint = wanted[run_id]
                number = pending[fingerprint] + 1
                if entry.fingerprint == fingerprint and apply_transition(conn, entry, number):
                    moved[fingerprint] = number
                    repaired += 1
        pending = moved
    return repaired
