"""The fast canonical JSON is byte-identical to `rfc8785.dumps`, or raises what it raises.

The chain hashes and idempotency keys depend on these bytes: any difference would split history.
"""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario import ml_history

from lineage import canonical
from lineage.canonical import canonical_text, content_key

PROPERTY = settings(max_examples=2000, deadline=None, database=None)
EVERY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None)
# Characters where UTF-16 and code-point order disagree (E000-FFFF vs astral), and escapes.
TRICKY = st.sampled_from(["\ue000", "\uffff", "\U0001f600", "\U00010000", "\x7f", "\u2028", "é"])
TEXT = st.text(EVERY_CHARACTER | TRICKY | st.sampled_from(['"', "\\", "\n", "\x00", "\x1f"]))
NUMBERS = (
    st.integers()
    | st.integers(-(2**53) - 2, 2**53 + 2)
    | st.floats()
    | st.floats(-1e-3, 1e-3)
    | st.floats(1e15, 1e22)
    | st.integers(-(2**53), 2**53).map(float)
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=30,
)
EDGE_FLOATS = [
    0.0, -0.0, 1.0, -1.0, 100.0, 0.1, -1.5, 0.965, 1e-4, 9.999e-5, -1e-4, 1e-6, 1e-7, 1.5e-7,
    5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e15, 1e15 + 0.5, 1e16, 1e20, 1e21,
    1e22, 123456789012345680000.0, 9007199254740991.0, 9007199254740992.0, -9007199254740993.0,
    1 / 3, 2 / 3, 4.35, 0.30000000000000004, 12345.678e10,
]  # fmt: skip
EDGE_INTS = [0, -1, 2**53 - 1, -(2**53 - 1), 2**53, -(2**53), 10**30, -(10**30)]


def _same_as_reference(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value).decode("utf-8")
    except Exception as exc:  # the fast path must refuse the same values the same way
        with pytest.raises(type(exc)):
            canonical_text(value)
        return
    assert canonical_text(value) == expected


def test_openlineage_samples_are_identical(literal_sample: str, load_sample) -> None:  # type: ignore[no-untyped-def]
    _same_as_reference(load_sample(literal_sample))


def test_invalid_samples_are_identical(invalid_sample: str, load_sample) -> None:  # type: ignore[no-untyped-def]
    _same_as_reference(load_sample(invalid_sample))


def test_ml_history_events_are_identical(kit) -> None:  # type: ignore[no-untyped-def]
    for event in ml_history(kit):
        _same_as_reference(event)


@pytest.mark.parametrize("number", EDGE_FLOATS + EDGE_INTS + [math.nan, math.inf, -math.inf])
def test_edge_numbers_are_identical(number: float | int) -> None:
    _same_as_reference(number)
    _same_as_reference({"metrics": {"x": number}, "list": [number, 1.0]})


@pytest.mark.parametrize(
    "keys",
    [
        ["\U0001f600", "\ue000", "a"],  # surrogate pair sorts below U+E000 in UTF-16
        ["\U00010000", "\uffff", "\ud7ff"],
        ["b", "a", "A", "é", "\u00e9\u0301", ""],
    ],
)
def test_key_order_follows_utf16(keys: list[str]) -> None:
    _same_as_reference({key: index for index, key in enumerate(keys)})


def test_every_escape_is_identical() -> None:
    text = "".join(chr(code) for code in range(0x80)) + "\u2028\u2029\ufeff\U0001f600"
    _same_as_reference({"s": text, text[:40]: [text]})


class Color(enum.IntEnum):
    RED = 1


class Name(str, enum.Enum):  # noqa: UP042 (a str mix-in, as older code writes it)
    ALICE = "alice"


class Ratio(float):
    pass


@pytest.mark.parametrize(
    "value",
    [
        {1: "int key"},
        {"a": 1, 2: "mixed keys"},
        {"t": (1, 2.0, "tuple")},
        {"e": Color.RED, "s": Name.ALICE, "f": Ratio(2.0)},
        {"lone": "\ud800"},
        {"\udc00": "lone surrogate key"},
        {"set": {1, 2}},
        {"bytes": b"x"},
        {"deep": [[[[[[[[[[1.0]]]]]]]]]]},
        [],
        {},
        "top-level string",
        None,
        True,
    ],
)
def test_unusual_values_are_identical(value: Any) -> None:
    _same_as_reference(value)


@PROPERTY
@given(JSON_VALUES)
def test_generated_values_are_identical(value: Any) -> None:
    _same_as_reference(value)


@settings(max_examples=400, deadline=None, database=None)
@given(st.dictionaries(TEXT, JSON_VALUES, max_size=6))
def test_generated_objects_are_identical(value: dict[str, Any]) -> None:
    _same_as_reference({"eventType": "COMPLETE", "run": {"facets": value}})


def test_plain_events_take_the_fast_path(kit, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Events without exotic values never reach the slow reference serializer."""

    def refuse(value: Any) -> str:
        raise AssertionError("fell back to rfc8785")

    events = ml_history(kit)
    expected = [rfc8785.dumps(event).decode() for event in events]
    monkeypatch.setattr(canonical, "_reference", refuse)
    assert [canonical_text(event) for event in events] == expected
    assert (
        canonical_text({"x": [1.0, -0.0, 0.25, 2**53 - 1, "é\u2028"]})
        == '{"x":[1,0,0.25,9007199254740991,"é\u2028"]}'
    )


def test_content_key_hashes_the_utf8_bytes() -> None:
    payload = canonical_text({"name": "é", "n": 1.0})
    assert payload == '{"n":1,"name":"é"}'
    assert content_key(payload) == content_key(json.loads(json.dumps(payload)))
