"""A segment's log rows as the archive stores them, and the chain hash it follows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from lineage.chain import GENESIS_HASH
from lineage.errors import AuditError
from lineage.models import EntryCategory, LogEntry
from lineage.retention.segments import SEGMENTS


class SegmentUnreadable(AuditError):
    """The log does not hold the segment (or its predecessor) as it should: run verify."""


def segment_rows(conn: Connection, first: int, end: int) -> list[dict[str, Any]]:
    table = LogEntry.__table__
    query = select(table).where(table.c.seq >= first, table.c.seq < end).order_by(table.c.seq)
    rows = [dict(row) for row in conn.execute(query).mappings()]
    if [r["seq"] for r in rows] != list(range(first, end)):
        raise SegmentUnreadable(f"entries {first}..{end - 1} are not all in the log: run verify")
    categories: dict[int, list[str]] = {}
    span = select(EntryCategory.seq, EntryCategory.category).where(
        EntryCategory.seq >= first, EntryCategory.seq < end
    )
    for seq, category in conn.execute(span.order_by(EntryCategory.seq, EntryCategory.category)):
        categories.setdefault(seq, []).append(category)
    for row in rows:
        row["categories"] = categories.get(row["seq"], [])
    return rows


def predecessor_hash(conn: Connection, first: int) -> str:
    """The chain hash before the segment: the live entry before it, or the archived one's."""
    if first == 1:
        return GENESIS_HASH
    live = conn.execute(select(LogEntry.entry_hash).where(LogEntry.seq == first - 1)).scalar()
    if live is not None:
        return live
    archived = conn.execute(
        select(SEGMENTS.c.last_hash).where(SEGMENTS.c.end_seq == first)
    ).scalar()
    if archived is None:
        raise SegmentUnreadable(f"entry {first - 1} is missing from the log: run verify")
    return archived
