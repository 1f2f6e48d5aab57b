"""Frames between the store and its preparing child: every value comes back as it went, with
its types, whichever encoding carried it; what cannot be sent sends nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from lineage import prepare_frames
from lineage.ingest_result import Rejected
from lineage.prepare import PreparedEvent
from lineage.prepare_frames import UNREADABLE, UNSENDABLE, FrameReader, write_frame
from lineage.validation import Violation


class Label(str):
    """A str subclass: marshal refuses it, pickle keeps it."""


@pytest.fixture
def pipe() -> Iterator[tuple[int, FrameReader]]:
    read, write = os.pipe()
    yield write, FrameReader(read, stall=5.0)
    os.close(read)
    os.close(write)


def _prepared(index: int, event: dict[str, Any]) -> PreparedEvent:
    return PreparedEvent(
        index, event, "{}", "k" * 64, ["note"], "2026-01-01T00:00:00.000000Z", "COMPLETE",
        "https://producer", "ns", "job", "run", None, ["run"], {"psn:1": "ada"},
    )  # fmt: skip


def _sent(pipe: tuple[int, FrameReader], value: Any) -> tuple[bytes, Any]:
    """The encoding's byte and the value read back."""
    write, reader = pipe
    write_frame(write, value)
    return prepare_frames._encoded(value)[:1], reader.frame()


def test_prepared_events_go_as_rows_and_keep_their_types(
    pipe: tuple[int, FrameReader],
) -> None:
    event = {"a": 1.0, "b": 2, "c": 2**70, "d": (1, "x"), "e": [None, True], "f": "\ud800"}
    results = [_prepared(0, event), _prepared(1, {})]
    kind, back = _sent(pipe, results)
    assert kind == prepare_frames.ROWS
    assert back == results
    assert type(back[0].event["a"]) is float and type(back[0].event["d"]) is tuple


def test_a_job_goes_marshalled_with_shared_references_kept(
    pipe: tuple[int, FrameReader],
) -> None:
    shared = {"name": "x"}
    kind, back = _sent(pipe, (150, [{"inputs": [shared]}, {"outputs": [shared]}]))
    assert kind == prepare_frames.VALUE
    start, events = back
    assert start == 150
    assert events[0]["inputs"][0] is events[1]["outputs"][0]


@pytest.mark.parametrize(
    "value",
    [
        [_prepared(0, {"label": Label("x")})],  # a field marshal refuses
        [_prepared(0, {}), Rejected(1, [Violation("$", "bad")])],  # not all prepared events
        (0, [{"label": Label("x")}]),
    ],
)
def test_what_marshal_refuses_goes_pickled_with_its_types(
    pipe: tuple[int, FrameReader], value: Any
) -> None:
    kind, back = _sent(pipe, value)
    assert kind == prepare_frames.PICKLE
    assert back == value
    assert repr(back) == repr(value)


def test_a_value_that_cannot_be_sent_sends_nothing(pipe: tuple[int, FrameReader]) -> None:
    write, reader = pipe
    with pytest.raises(UNSENDABLE):
        write_frame(write, [{"call": lambda: None}])
    assert not reader.ready()


def test_a_frame_that_cannot_be_read_says_so(pipe: tuple[int, FrameReader]) -> None:
    write, reader = pipe
    for kind in (prepare_frames.ROWS, prepare_frames.VALUE, prepare_frames.PICKLE):
        os.write(write, prepare_frames.HEADER.pack(3) + kind + b"\xff\x00")
        with pytest.raises(UNREADABLE):
            reader.frame()
