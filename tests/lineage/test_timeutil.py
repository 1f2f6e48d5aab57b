"""The store's time text: the padding shortcut writes what the datetime conversion writes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lineage.timeutil import converted_store_time, to_store_time


def _outcome(convert, text: str) -> str:  # type: ignore[no-untyped-def]
    try:
        return convert(text)
    except ValueError as exc:
        return f"ValueError: {exc}"


def _times(rng: random.Random, count: int) -> list[str]:
    """Texts around the shortcut's edges: every fraction length, offsets it takes and leaves."""
    start = datetime(900, 1, 1, tzinfo=UTC)
    texts = []
    for _ in range(count):
        moment = start + timedelta(seconds=rng.randrange(10**11), microseconds=rng.randrange(10**6))
        head = moment.strftime("%Y-%m-%dT%H:%M:%S").zfill(19)
        length = rng.randrange(8)  # 7: beyond microseconds, which the shortcut leaves
        fraction = f".{moment.microsecond:06d}7"[: length + 1] if length else ""
        offset = rng.choice(["Z", "+00:00", "z", "-00:00", "+01:00", "", "Z "])
        texts.append(head + fraction + offset)
    return texts


IMPOSSIBLE = [
    "2026-02-30T00:00:00Z",
    "2025-02-29T12:00:00.5+00:00",
    "2026-13-01T00:00:00Z",
    "2026-12-31T24:00:00Z",
    "2026-06-30T23:59:60Z",  # a leap second: valid RFC 3339, not a datetime
    "2026-06-30T23:60:00.000001Z",
    "0000-01-01T00:00:00Z",
]


def test_the_shortcut_writes_what_the_conversion_writes() -> None:
    for text in _times(random.Random(11), 5000):
        assert _outcome(to_store_time, text) == _outcome(converted_store_time, text), text


@pytest.mark.parametrize("text", IMPOSSIBLE)
def test_an_impossible_time_is_refused_with_the_conversions_message(text: str) -> None:
    with pytest.raises(ValueError, match="not an ISO-8601 time"):
        to_store_time(text)
    assert _outcome(to_store_time, text) == _outcome(converted_store_time, text)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2026-01-01T07:31:56.776839+00:00", "2026-01-01T07:31:56.776839Z"),
        ("2026-01-01T07:31:56Z", "2026-01-01T07:31:56.000000Z"),
        ("2026-01-01T07:31:56.5Z", "2026-01-01T07:31:56.500000Z"),
        ("2026-01-01T07:31:56.5+01:00", "2026-01-01T06:31:56.500000Z"),
    ],
)
def test_store_text(text: str, stored: str) -> None:
    assert to_store_time(text) == stored


def test_datetimes_take_the_conversion() -> None:
    moment = datetime(2026, 3, 1, 12, 0, 0, 42, tzinfo=UTC)
    assert to_store_time(moment) == "2026-03-01T12:00:00.000042Z"
    assert to_store_time(moment.replace(tzinfo=None)) == "2026-03-01T12:00:00.000042Z"
