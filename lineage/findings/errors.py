"""Errors of the findings API, each naming the finding, status or value at fault."""

from __future__ import annotations

from lineage.errors import AuditError, NotFoundError


class FindingNotFound(NotFoundError):
    """No finding has that id."""


class FindingError(AuditError):
    """A triage request that cannot be done as asked (a transition, a missing note, a filter)."""


class FindingConflict(AuditError):
    """Someone changed the finding between reading it and writing the change."""
