"""The log at a glance: how much of each category happened when, and the totals behind it.

Counting is done by the database (GROUP BY over time buckets that are prefixes of the store's
ISO-8601 times), so a million entries come back as a few hundred rows; whole hours are summed
from the counts the append keeps (lineage.category_hours.counts_between) rather than counted
again. The bucket
width follows the span asked for, keeping a chart readable whether the log covers seconds or
years.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from lineage.category_hours import counts_between
from lineage.models import Actor, Dataset, LogEntry, Run
from lineage.timeutil import parse_time, to_store_time

# (characters of the store time kept, name, longest span in seconds it is used for)
BUCKETS = (
    (19, "second", 120),
    (16, "minute", 3 * 3600),
    (13, "hour", 8 * 86400),
    (10, "day", 400 * 86400),
    (7, "month", None),
)


def bucket_for(since: str, until: str) -> tuple[int, str]:
    """The narrowest bucket that keeps the number of points in a chart small."""
    span = (parse_time(until) - parse_time(since)).total_seconds()
    for width, name, longest in BUCKETS:
        if longest is None or span <= longest:
            return width, name
    raise AssertionError("unreachable: the last bucket has no limit")


def time_range(engine: Engine) -> tuple[str, str] | None:
    """First and last event time in the log (two index lookups), None when it is empty.

    Each end is a subquery of its own: SQLite answers a lone min() or max() from the end of an
    index, but with both in one SELECT it reads the whole index (250 ms at a million entries)."""
    column = LogEntry.__table__.c.event_time
    with engine.connect() as conn:
        first, last = conn.execute(
            select(
                select(func.min(column)).scalar_subquery(),
                select(func.max(column)).scalar_subquery(),
            )
        ).one()
    return (first, last) if first else None


def category_counts(
    engine: Engine, *, since: str | None = None, until: str | None = None
) -> dict[str, Any]:
    """Entries per category per time bucket between `since` and `until` (default: all)."""
    span = time_range(engine)
    if span is None:
        return {"bucket": None, "since": None, "until": None, "rows": []}
    low = to_store_time(since) if since else span[0]
    high = to_store_time(until) if until else span[1]
    width, name = bucket_for(low, high)
    with engine.connect() as conn:
        counts = counts_between(conn, low, high, width)
    counted = [
        {"bucket": _bucket_time(bucket), "category": category, "entries": entries}
        for (bucket, category), entries in sorted(counts.items())
    ]
    return {"bucket": name, "since": low, "until": high, "rows": counted}


def _bucket_time(prefix: str) -> str:
    """A bucket's start as a full ISO time, so charts place it on a time axis."""
    filler = "0000-01-01T00:00:00"
    if len(prefix) < 10:
        prefix += filler[len(prefix) : 10]
    return prefix + filler[len(prefix) :] + "Z"


def totals(engine: Engine) -> dict[str, int]:
    """How big the log and its projections are. The log's size is its last seq (append-only)."""
    queries = {
        "entries": select(func.coalesce(func.max(LogEntry.__table__.c.seq), 0)),
        "datasets": select(func.count()).select_from(Dataset.__table__),
        "models": select(func.count())
        .select_from(Dataset.__table__)
        .where(Dataset.__table__.c.kind == "MODEL"),
        "runs": select(func.count()).select_from(Run.__table__),
        "actors": select(func.count()).select_from(Actor.__table__),
    }
    with engine.connect() as conn:
        return {name: int(conn.execute(query).scalar_one()) for name, query in queries.items()}
