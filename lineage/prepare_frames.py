"""Frames between the store and the child that prepares its large SQLite batches
(lineage.prepare_worker): a length, a byte saying how the rest is encoded, the rest.

A value goes marshalled when marshal takes it: marshal keeps builtin types exactly (1.0 stays a
float, a tuple a tuple, shared and cyclic references as they were) and refuses anything else,
subclasses included; what it refuses goes pickled, which keeps every value's type. Prepared
events go as marshalled rows of their fields. On 850 generator events, an event's cost: a job's
events marshalled 0.8 us and loaded 3.5 (pickled 1.4, loaded 6.7); prepared events' rows loaded
4.7 in the store (as JSON rows 7.6, pickled 7.9).
"""

from __future__ import annotations

import dataclasses
import io
import marshal
import os
import pickle
import select
import struct
from contextlib import suppress
from typing import Any

from lineage.ingest_result import Rejected
from lineage.pipes import write_all
from lineage.prepare import PreparedEvent

Result = PreparedEvent | Rejected
HEADER = struct.Struct(">Q")
FIELDS = tuple(f.name for f in dataclasses.fields(PreparedEvent))
ROWS, VALUE, PICKLE = b"r", b"m", b"p"
MARSHAL_VERSION = 4  # with references: the keys json.loads shares are written once
STALL_S = 60.0  # no frame for this long: the other side is given up
READY = "ready"  # the child's first frame
# What a value that cannot be sent raises (a lambda, a cycle...), and a frame that cannot be read.
UNSENDABLE = (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError)
UNREADABLE = (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError)


class PeerGone(Exception):
    """The other side stopped answering (it exited, or stalled for `STALL_S`)."""


def _pickled(value: Any) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    # No memo: a parsed event's strings are all distinct objects, and remembering each made
    # pickling a batch of them five times slower (8.3 -> 1.8 us an event).
    pickler.fast = True
    pickler.dump(value)
    return out.getvalue()


def write_frame(fd: int, value: Any) -> None:
    data = _encoded(value)  # first: a value that does not encode sends nothing
    write_all(fd, HEADER.pack(len(data)))
    write_all(fd, data)


def _encoded(value: Any) -> bytes:
    if isinstance(value, list) and value and all(type(r) is PreparedEvent for r in value):
        with suppress(ValueError):  # a field marshal refuses
            rows = [[getattr(r, f) for f in FIELDS] for r in value]
            return ROWS + marshal.dumps(rows, MARSHAL_VERSION)
    with suppress(ValueError):
        return VALUE + marshal.dumps(value, MARSHAL_VERSION)
    return PICKLE + _pickled(value)


def _decoded(data: bytearray) -> Any:
    kind, body = data[:1], memoryview(data)[1:]
    if kind == ROWS:
        return [PreparedEvent(*row) for row in marshal.loads(body)]
    if kind == VALUE:
        return marshal.loads(body)
    return pickle.loads(body)


class FrameReader:
    """Frames from a pipe, each within `stall` seconds of the last (None: however long)."""

    def __init__(self, fd: int, stall: float | None = STALL_S) -> None:
        self._fd = fd
        self._stall = stall

    def ready(self) -> bool:
        """Whether a frame has begun to arrive (never waits)."""
        return bool(select.select([self._fd], [], [], 0)[0])

    def frame(self) -> Any:
        size = HEADER.unpack(self._exactly(HEADER.size))[0]
        return _decoded(self._exactly(size))

    def _exactly(self, size: int) -> bytearray:
        """Read straight into place, never past the frame: nothing is left over to keep."""
        data = bytearray(size)
        view = memoryview(data)
        while view:
            if not select.select([self._fd], [], [], self._stall)[0]:
                raise PeerGone(f"no answer for {self._stall:.0f} s")
            got = os.readv(self._fd, [view])
            if not got:
                raise PeerGone("the other side exited")
            view = view[got:]
        return data
