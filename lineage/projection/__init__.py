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

from lineage.projection.load import load_state, lookups, state_from
from lineage.projection.plan import EventPlan, plan_event
from lineage.projection.projector import apply_event
from lineage.projection.sql import Query, Row, Sql
from lineage.projection.state import BatchState
from lineage.projection.write import write_state

if TYPE_CHECKING:  # the appender itself writes through this package's Sql
    from lineage.append import NewEntry
    from lineage.prepare import PreparedEvent

Item = tuple[int, dict[str, Any], str]  # seq, event, event time (store format)


def project_batch(conn: Connection, items: Sequence[Item]) -> None:
    """Project events, given in log order, into the query tables."""
    if not items:
        return
    plans = [plan_event(seq, event, when) for seq, event, when in items]
    sql = Sql(conn)
    _apply(sql, plans, load_state(sql, plans))


def _apply(sql: Sql, plans: list[EventPlan], state: BatchState) -> None:
    for plan in plans:
        apply_event(state, plan)
    write_state(sql, state)


# Where the dataset versions' id sequence stands (NULL before its first id). Read under the
# writer lock, which every writer of the projections holds, so the next ids are known.
VERSION_SEQUENCE_SQL = (
    "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence('dataset_versions', 'id') "
    "AS regclass))"
)


class Preload:
    """The projection's lookups for a batch, planned before the append numbers its events, so
    they can travel with the append's reads (one round trip on PostgreSQL). Valid when every
    event of the batch turns out new, which is the common case; otherwise they are read again.

    The version sequence's position travels along too: the new versions' ids are then known
    without a RETURNING, which in a pipeline is a round trip of its own before the writes."""

    def __init__(self, conn: Connection, events: Sequence[PreparedEvent]) -> None:
        self.keys = [e.key for e in events]
        # Planned with seq 0: lookups do not depend on it, and the seq is set before applying.
        self.plans = [plan_event(0, e.event, e.event_time) for e in events]
        self.needs, lookup_queries = lookups(Sql(conn), self.plans)
        self.queries = [*lookup_queries, Query([(VERSION_SEQUENCE_SQL, [])])]
        self.found: list[list[Row]] | None = None

    def rows(self, entries: list[NewEntry]) -> list[list[Row]] | None:
        """The lookups' rows, if they were read and are those of exactly these entries."""
        same = self.keys == [e.prepared.key for e in entries]
        return self.found if same else None


def project_entries(
    conn: Connection, entries: list[NewEntry], preload: Preload | None = None
) -> None:
    found = preload.rows(entries) if preload and entries else None
    if found is None or preload is None:
        project_batch(conn, [(e.seq, e.prepared.event, e.prepared.event_time) for e in entries])
        return
    for plan, entry in zip(preload.plans, entries, strict=True):
        plan.seq = entry.seq
    sql = Sql(conn)
    *lookup_rows, ((last_version_id,),) = found
    state = state_from(sql, preload.needs, lookup_rows)
    state.next_version_id = (last_version_id or 0) + 1
    _apply(sql, preload.plans, state)


class Projector:
    """One event at a time (each its own batch), for callers that replay the log."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def project(self, seq: int, event: dict[str, Any], when: str) -> None:
        project_batch(self.conn, [(seq, event, when)])


__all__ = ["Preload", "Projector", "project_batch", "project_entries"]
