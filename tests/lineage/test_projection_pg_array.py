"""Array literals for PostgreSQL parameters: every value comes back from the server as sent."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from lineage.projection.sql import pg_array

AWKWARD_TEXT = [
    'a "quoted" word',
    "back\\slash and \\\\ two",
    "comma, {braces} and [brackets]",
    "  blanks around  ",
    "NULL",
    "null",
    "",
    "émoji 🚀 and ünïcode",
    "line\nbreak\ttab",
    "'single quotes'",
]


def _round_trip(pg_url: str, cast: str, literal: str) -> list:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(f"SELECT * FROM unnest(CAST(%s AS {cast}[])) WITH ORDINALITY", [literal])
            return [value for value, _ in cursor.fetchall()]
    finally:
        engine.dispose()


def test_text_comes_back_as_sent(pg_url: str) -> None:
    values = [*AWKWARD_TEXT, None]
    assert _round_trip(pg_url, "VARCHAR", pg_array(values)) == values


def test_integers_and_bytes_come_back_as_sent(pg_url: str) -> None:
    numbers = [0, -1, 2**62, None]
    digests = [bytes(range(32)), b"", b"\\\x00\xff", None]
    assert _round_trip(pg_url, "BIGINT", pg_array(numbers)) == numbers
    assert _round_trip(pg_url, "BYTEA", pg_array(digests)) == digests


def test_an_empty_list_is_an_empty_array(pg_url: str) -> None:
    assert _round_trip(pg_url, "VARCHAR", pg_array([])) == []


@pytest.mark.parametrize("value", [True, 1.5, object(), ["nested"]])
def test_other_types_are_refused_not_guessed(value: object) -> None:
    with pytest.raises(TypeError, match="no array literal"):
        pg_array(["fine", value])
