"""Times in the store: ISO-8601 UTC text with microseconds, which sorts as it reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# A UTC time written as the store writes it but for the fraction's padding and maybe `+00:00`:
# the usual eventTime. Its store text is made by padding rather than by writing a datetime
# (a third of the cost); parsing its date and time still decides whether they exist. Years
# from 1000 only: strftime writes earlier ones without leading zeros.
_UTC_TEXT = re.compile(
    r"([1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(?:Z|\+00:00)\Z", re.ASCII
)


def to_store_time(value: str | datetime) -> str:
    """Any ISO-8601 time (or datetime) as the store's canonical UTC text."""
    if type(value) is str and (match := _UTC_TEXT.match(value)):
        try:
            datetime.fromisoformat(match[1])
        except ValueError:
            pass  # not a real time: the general conversion says so
        else:
            return f"{match[1]}.{(match[2] or '').ljust(6, '0')}Z"
    return converted_store_time(value)


def converted_store_time(value: str | datetime) -> str:
    """to_store_time through a datetime, for any input it takes."""
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
