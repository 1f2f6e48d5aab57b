"""Legal holds: placed and released by people with LEGAL_HOLD, each an audit event.

A hold keeps every entry matching all of its criteria (category, event-time range, subject: a
person's pseudonym or a dataset `namespace/name`) out of any archive until it is released.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select, update

from lineage.accounts.actions import record_user_action
from lineage.authz import LEGAL_HOLD, Principal, authorize
from lineage.categories import CATEGORIES, datasets
from lineage.db import writer_transaction
from lineage.errors import AuditError
from lineage.models.retention import LegalHold
from lineage.privacy.pseudonyms import is_pseudonym, pseudonym_for
from lineage.timeutil import now_store_time, to_store_time

if TYPE_CHECKING:
    from lineage.store import AuditStore

HOLDS = LegalHold.__table__


class HoldError(AuditError):
    """A hold that cannot be placed or released as asked."""


@dataclass(frozen=True)
class EntryFacts:
    """What a hold is matched against, for one log entry."""

    seq: int
    event_time: str
    categories: frozenset[str]
    actor: str | None
    submitter: str | None
    payload: str | None  # read only when some active hold names a subject


@dataclass(frozen=True)
class Hold:
    id: int
    reason: str
    category: str | None
    since: str | None
    until: str | None
    subject: str | None
    placed_at: str
    released_at: str | None = None

    def matches(self, entry: EntryFacts) -> bool:
        if self.category is not None and self.category not in entry.categories:
            return False
        if self.since is not None and entry.event_time < self.since:
            return False
        if self.until is not None and entry.event_time > self.until:
            return False
        return self.subject is None or _names_subject(entry, self.subject)

    def describe(self) -> dict[str, str | None]:
        return {"category": self.category, "since": self.since, "until": self.until}


def _names_subject(entry: EntryFacts, subject: str) -> bool:
    if subject in (entry.actor, entry.submitter):
        return True
    if entry.payload is None or subject.split("/")[-1] not in entry.payload:
        return False  # cheap test first: the name must appear in the event's text
    if is_pseudonym(subject):
        return True
    event = json.loads(entry.payload)
    return any(f"{d.get('namespace')}/{d.get('name')}" == subject for d in datasets(event))


def place_hold(
    store: AuditStore,
    principal: Principal,
    *,
    reason: str,
    category: str | None = None,
    since: str | None = None,
    until: str | None = None,
    subject: str | None = None,
) -> Hold:
    """Store the hold and record it in the log. A person's name as subject is pseudonymized."""
    authorize(principal, LEGAL_HOLD)
    values = {
        "reason": _reason(reason),
        "category": _category(category),
        "since": _time("--since", since),
        "until": _time("--until", until),
        "subject": _subject(store, subject),
        "placed_at": now_store_time(),
        "placed_by": pseudonym_for(principal.name, store.keys.pseudonym_key()),
    }
    if values["since"] and values["until"] and values["since"] > values["until"]:
        raise HoldError(f"--since {since} is after --until {until}")
    with writer_transaction(store.engine) as conn:
        hold_id = conn.execute(insert(HOLDS).values(**values)).inserted_primary_key[0]
    target = {"kind": "legal_hold", "name": str(hold_id)}
    details = {k: values[k] for k in ("reason", "category", "since", "until", "subject")}
    seq = record_user_action(store, principal, "retention.hold.place", target, details=details)
    with writer_transaction(store.engine) as conn:
        conn.execute(update(HOLDS).where(HOLDS.c.id == hold_id).values(placed_seq=seq))
        return _hold(conn, hold_id)


def release_hold(store: AuditStore, principal: Principal, hold_id: int, reason: str) -> Hold:
    authorize(principal, LEGAL_HOLD)
    reason = _reason(reason)
    with writer_transaction(store.engine) as conn:
        hold = _hold(conn, hold_id)
        if hold.released_at is not None:
            raise HoldError(f"legal hold {hold_id} was already released at {hold.released_at}")
    target = {"kind": "legal_hold", "name": str(hold_id)}
    seq = record_user_action(
        store, principal, "retention.hold.release", target, details={"reason": reason}
    )
    values = {
        "released_at": now_store_time(),
        "released_by": pseudonym_for(principal.name, store.keys.pseudonym_key()),
        "release_reason": reason,
        "released_seq": seq,
    }
    with writer_transaction(store.engine) as conn:
        conn.execute(update(HOLDS).where(HOLDS.c.id == hold_id).values(**values))
        return _hold(conn, hold_id)


def list_holds(conn: Connection, *, active_only: bool = True) -> list[Hold]:
    query = select(HOLDS).order_by(HOLDS.c.id)
    if active_only:
        query = query.where(HOLDS.c.released_at.is_(None))
    return [_from_row(row) for row in conn.execute(query).mappings()]


def _hold(conn: Connection, hold_id: int) -> Hold:
    row = conn.execute(select(HOLDS).where(HOLDS.c.id == hold_id)).mappings().first()
    if row is None:
        raise HoldError(f"no legal hold with id {hold_id}")
    return _from_row(row)


def _from_row(row: dict) -> Hold:  # type: ignore[type-arg]
    fields = ("id", "reason", "category", "since", "until", "subject", "placed_at", "released_at")
    return Hold(**{name: row[name] for name in fields})


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise HoldError("a legal hold needs a reason (--reason)")
    return reason.strip()


def _category(category: str | None) -> str | None:
    if category is not None and category not in CATEGORIES:
        raise HoldError(f"--category {category!r} is not one of {', '.join(CATEGORIES)}")
    return category


def _time(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return to_store_time(value)
    except ValueError as exc:
        raise HoldError(f"{option}: {exc}") from None


def _subject(store: AuditStore, subject: str | None) -> str | None:
    """A pseudonym or a dataset `namespace/name` as given; any other text is a person's name,
    stored only as its pseudonym."""
    if subject is None:
        return None
    subject = subject.strip()
    if not subject:
        raise HoldError("--subject is empty")
    if is_pseudonym(subject) or "/" in subject:
        return subject
    return pseudonym_for(subject, store.keys.pseudonym_key())
