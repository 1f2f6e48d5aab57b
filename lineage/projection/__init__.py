"""Project appended log entries into the query tables, in the appender's transaction.

Projections are derived data: `mlaudit rebuild` recreates them from the log alone. A batch is
projected as a whole: its events are planned, everything they name is read with one query per
table, the events are applied in log order to those rows in memory, and the outcome is written
with one statement per table. The result is the same as projecting the events one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from lineage.projection.load import load_state
from lineage.projection.plan import plan_event
from lineage.projection.projector import apply_event
from lineage.projection.sql import Sql
from lineage.projection.write import write_state

if TYPE_CHECKING:  # the appender itself writes through this package's Sql
    from lineage.append import NewEntry

Item = tuple[int, dict[str, Any], str]  # seq, event, event time (store format)


def project_batch(conn: Connection, items: Sequence[Item]) -> None:
    """Project events, given in log order, into the query tables."""
    if not items:
        return
    plans = [plan_event(seq, event, when) for seq, event, when in items]
    sql = Sql(conn)
    state = load_state(sql, plans)
    for plan in plans:
        apply_event(state, plan)
    write_state(sql, state)


def project_entries(conn: Connection, entries: list[NewEntry]) -> None:
    project_batch(conn, [(e.seq, e.prepared.event, e.prepared.event_time) for e in entries])


class Projector:
    """One event at a time (each its own batch), for callers that replay the log."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def project(self, seq: int, event: dict[str, Any], when: str) -> None:
        project_batch(self.conn, [(seq, event, when)])


__all__ = ["Projector", "project_batch", "project_entries"]
