"""Times in the store: ISO-8601 UTC text with microseconds, which sorts as it reads."""

from __future__ import annotations

from datetime import UTC, datetime


def to_store_time(value: str | datetime) -> str:
    """Any ISO-8601 time (or datetime) as the store's canonical UTC text."""
    moment = value if isinstance(value, datetime) else parse_time(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Parse ISO-8601, accepting `Z` and a bare date; naive times are read as UTC."""
    cleaned = text.strip().replace("z", "Z")
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError as exc:
        raise ValueError(f"not an ISO-8601 time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def now_store_time() -> str:
    return to_store_time(datetime.now(UTC))
