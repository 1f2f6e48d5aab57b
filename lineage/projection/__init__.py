"""Project appended log entries into the query tables, in the appender's transaction.

Projections are derived data: `mlaudit rebuild` recreates them from the log alone.
"""

from __future__ import annotations

from sqlalchemy import Connection

from lineage.append import NewEntry
from lineage.projection.projector import Projector


def project_entries(conn: Connection, entries: list[NewEntry]) -> None:
    projector = Projector(conn)
    for entry in entries:
        projector.project(entry.seq, entry.prepared.event, entry.prepared.event_time)


__all__ = ["Projector", "project_entries"]
