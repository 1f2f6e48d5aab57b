"""Entries per hour and category, kept with the log so that charting the log never counts it.

The Overview's activity chart counted `entry_categories` joined to the log over the span it
shows: 1.2-2.1 s for all time at a million entries on SQLite, on every visit the cache had
expired. The append now adds each batch's counts here, in the append's transaction, so the chart
sums a few thousand rows a year of log. Archiving subtracts what it removes; `mlaudit rebuild`
counts again from the log. Hours are the store time's first 13 characters (`2026-01-01T00`), so
coarser buckets (days, months) are prefixes of them, as they are of the log's times.
`counts_between` answers for any span exactly what counting the log would: whole hours from
here, the hours a span cuts at its ends from the log itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Connection, text

from lineage.projection.sql import Row, Sql

HOUR = 13  # characters of a store time naming its hour
TABLE = "category_hours"
_UPSERT = (
    f"INSERT INTO {TABLE} (hour, category, entries) {{values}} "
    f"ON CONFLICT (hour, category) DO UPDATE SET entries = {TABLE}.entries + excluded.entries"
)
_CASTS = ("VARCHAR", "VARCHAR", "INTEGER")
# What the log itself says, per hour and category: how a recount and a removal see it.
_COUNTED = (
    f"SELECT substr(l.event_time, 1, {HOUR}) AS hour, c.category, COUNT(*) AS entries "
    "FROM entry_categories c JOIN audit_log l ON l.seq = c.seq {where} "
    f"GROUP BY substr(l.event_time, 1, {HOUR}), c.category"
)


# The log's own rows, for a span within an hour or the part of an hour at each end of a span.
LOG_COUNTS = text(
    """
    SELECT substr(l.event_time, 1, :width) AS bucket, c.category, COUNT(*) AS entries
    FROM entry_categories c JOIN audit_log l ON l.seq = c.seq
    WHERE l.event_time >= :since AND l.event_time <= :until
    GROUP BY substr(l.event_time, 1, :width), c.category
    """
)
# Whole hours strictly between two, from the kept counts.
KEPT_COUNTS = text(
    f"""
    SELECT substr(hour, 1, :width) AS bucket, category, SUM(entries) AS entries
    FROM {TABLE} WHERE hour > :after AND hour < :before
    GROUP BY substr(hour, 1, :width), category
    """
)
Counts = Counter[tuple[str, str]]


def counts_between(conn: Connection, since: str, until: str, width: int) -> Counts:
    """Entries per (bucket, category) with event times in [since, until] (store times), a bucket
    being a time's first `width` characters (0: one bucket, so counts per category)."""
    first, last = since[:HOUR], until[:HOUR]
    if width > HOUR or first >= last:
        return _from_log(conn, width, since, until)
    counts = _from_log(conn, width, since, f"{first}:59:59.999999Z")
    counts.update(_from_log(conn, width, f"{last}:00:00.000000Z", until))
    rows = conn.execute(KEPT_COUNTS, {"width": width, "after": first, "before": last})
    counts.update({(r.bucket, r.category): int(r.entries) for r in rows})
    return counts


def _from_log(conn: Connection, width: int, since: str, until: str) -> Counts:
    rows = conn.execute(LOG_COUNTS, {"width": width, "since": since, "until": until})
    return Counter({(r.bucket, r.category): int(r.entries) for r in rows})


def hour_counts(entries: Iterable[tuple[str, Iterable[str]]]) -> list[Row]:
    """(hour, category, entries) rows for entries given as (event time, categories)."""
    counts: Counter[tuple[str, str]] = Counter()
    for event_time, categories in entries:
        hour = event_time[:HOUR]
        for category in categories:
            counts[hour, category] += 1
    return [(hour, category, n) for (hour, category), n in counts.items()]


def add_hours(sql: Sql, rows: list[Row]) -> None:
    """Add counts in the caller's transaction (one statement on PostgreSQL, whatever the size)."""
    for statement, params in sql.join_values(_UPSERT, rows, _CASTS, padded=False).statements:
        sql.execute(statement, params)


def remove_span(conn: Connection, first: int, end: int) -> None:
    """Take entries first..end-1 out of the counts, before they leave the log."""
    counted = text(_COUNTED.format(where="WHERE c.seq >= :first AND c.seq < :end"))
    rows = conn.execute(counted, {"first": first, "end": end}).all()
    if rows:
        conn.execute(
            text(
                f"UPDATE {TABLE} SET entries = entries - :entries "
                "WHERE hour = :hour AND category = :category"
            ),
            [{"hour": hour, "category": category, "entries": n} for hour, category, n in rows],
        )
    conn.execute(text(f"DELETE FROM {TABLE} WHERE entries <= 0"))


def recount(conn: Connection) -> None:
    """Count every hour again from the log (rebuild)."""
    conn.execute(text(f"DELETE FROM {TABLE}"))
    conn.execute(text(f"INSERT INTO {TABLE} (hour, category, entries) {_COUNTED.format(where='')}"))
