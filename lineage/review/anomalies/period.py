"""The period judged and the history before it, in whole UTC days.

The window is [since, until). Baselines are learned from the `lookback_days` whole UTC days
before the day `since` falls on; a window without a start is read as the day before its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lineage.review.context import ReviewWindow
from lineage.timeutil import parse_time, to_store_time

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    since: str
    until: str
    base_since: str
    base_until: str
    lookback_days: int

    @classmethod
    def of(cls, window: ReviewWindow, lookback_days: int) -> Period:
        until = parse_time(window.until)
        since = parse_time(window.since) if window.since else until - DAY
        if since >= until:
            raise ValueError(f"review window starts ({window.since}) at or after its end")
        base_until = since.replace(hour=0, minute=0, second=0, microsecond=0)
        base_since = base_until - lookback_days * DAY
        return cls(
            to_store_time(since),
            to_store_time(until),
            to_store_time(base_since),
            to_store_time(base_until),
            lookback_days,
        )

    def history_days(self, first_seen: str | None) -> list[str]:
        """Baseline days ("YYYY-MM-DD") from the day the actor was first seen on."""
        start = max(self.base_since[:10], (first_seen or self.base_until)[:10])
        return days_between(start, self.base_until[:10])


def days_between(first: str, end: str) -> list[str]:
    """Days from `first` (included) to `end` (excluded), both "YYYY-MM-DD"."""
    day, stop = datetime.fromisoformat(first), datetime.fromisoformat(end)
    found = []
    while day < stop:
        found.append(day.strftime("%Y-%m-%d"))
        day += DAY
    return found


def shift(time: str, hours: float) -> str:
    """A store time moved by `hours`."""
    return to_store_time(parse_time(time) + timedelta(hours=hours))


def day_bounds(day: str) -> tuple[str, str]:
    """[start, end) of a UTC day "YYYY-MM-DD" as store times."""
    start = datetime.fromisoformat(day)
    return to_store_time(start), to_store_time(start + DAY)
