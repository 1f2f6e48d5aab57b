"""What the findings API returns: frozen views of rows, counts, and the outcome of a review run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from lineage.findings.draft import KINDS, SEVERITIES
from lineage.findings.errors import FindingError

STATUSES = ("open", "acknowledged", "resolved")
UNRESOLVED = ("open", "acknowledged")


@dataclass(frozen=True)
class FindingView:
    """One finding as stored. `status_by` is the log's actor: a pseudonym or a service name."""

    id: int
    fingerprint: str
    kind: str
    rule: str
    severity: str
    subject: str
    title: str
    explanation: str
    evidence: dict[str, Any]
    occurred_at: str | None
    first_seen: str
    last_seen: str
    occurrences: int
    status: str
    status_changed_at: str
    status_by: str
    resolution_note: str | None
    last_review: str
    opened_seq: int
    status_seq: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def view_of(row: Any) -> FindingView:
    """A findings row (a SQLAlchemy row mapping) as a view."""
    values = dict(row)
    values.pop("transitions", None)
    return FindingView(**values)


@dataclass(frozen=True)
class StatusChange:
    """One audit event of a finding's history, read back from the log."""

    seq: int
    at: str
    action: str
    status: str
    actor: str | None
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RecordOutcome:
    """What one review run did. `repaired`: logged changes a crash had left off the table.
    `finding_ids`: the findings the run opened, reopened or saw again."""

    opened: int = 0
    seen_again: int = 0
    reopened: int = 0
    repaired: int = 0
    finding_ids: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FindingCounts:
    """`status`: every finding by status. `severity`: the unresolved ones, by severity."""

    status: dict[str, int]
    severity: dict[str, int]

    @property
    def unresolved(self) -> int:
        return sum(self.status[s] for s in UNRESOLVED)


Choice = str | Sequence[str] | None


def choices(name: str, value: Choice, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    """A filter value (one name or several) as a tuple; None means any. Unknown names fail."""
    if value is None:
        return None
    chosen = (value,) if isinstance(value, str) else tuple(value)
    for item in chosen:
        if item not in allowed:
            raise FindingError(
                f"unknown finding {name} {item!r}; choose one of: {', '.join(allowed)}"
            )
    return chosen


FILTERS = {"status": STATUSES, "kind": KINDS, "severity": SEVERITIES}
