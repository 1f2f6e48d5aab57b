"""Errors the core raises, each naming what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lineage.ingest_result import Rejected


class AuditError(Exception):
    """Base class of the core's errors."""


class InvalidEventsError(AuditError):
    """One or more events failed validation; nothing of the batch was written."""

    def __init__(self, rejected: list[Rejected]) -> None:
        self.rejected = rejected
        first = rejected[0]
        detail = "; ".join(f"{v.path}: {v.message}" for v in first.violations[:5])
        more = f" (and {len(rejected) - 1} more invalid events)" if len(rejected) > 1 else ""
        super().__init__(f"event #{first.index} is invalid: {detail}{more}")


class NotFoundError(AuditError):
    """A dataset, model or version that the store has never seen."""


class IntegrityError(AuditError):
    """The audit log failed verification."""
