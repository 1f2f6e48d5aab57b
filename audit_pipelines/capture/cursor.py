"""The capture sensor's durable cursor: the last captured storage id of each event stream.

The event log is read per stream: one per run status, one for all materializations and one for
all observations. Each stream keeps its own position, so a tick that stops early (bounded work)
resumes every stream exactly where it stopped. Storage ids come from the cross-run index (on the
default SQLite instance they differ from the per-run ids of `get_records_for_run`).

Version 1 kept one stream per asset key and event kind, which made every tick cost two queries
per asset ever seen. A version 1 cursor is read as "nothing captured": the next tick replays the
log from the start, and the store's idempotency keys make the replay store nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

CURSOR_VERSION = 2
SUPERSEDED_VERSIONS = frozenset({1})


def run_stream(event_type_name: str) -> str:
    """Stream id of one run status event type, e.g. `run:RUN_SUCCESS`."""
    return f"run:{event_type_name}"


def asset_stream(kind: str) -> str:
    """Stream id of all asset events of one kind (`materialization`, `observation`)."""
    return f"asset:{kind}"


@dataclass
class CaptureCursor:
    """Positions (last committed storage id) by stream id; absent = nothing captured yet."""

    after: dict[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> CaptureCursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"capture cursor is not JSON: {text[:80]!r}") from error
        if isinstance(data, dict) and data.get("v") in SUPERSEDED_VERSIONS:
            return cls()
        if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
            raise ValueError(f"capture cursor has an unknown format (want v={CURSOR_VERSION})")
        after = data.get("after", {})
        if not isinstance(after, dict) or not all(isinstance(v, int) for v in after.values()):
            raise ValueError("capture cursor positions must be integers")
        return cls(after=dict(after))

    def position(self, stream: str) -> int | None:
        return self.after.get(stream)

    def advance(self, stream: str, storage_id: int) -> None:
        # Never move backwards: a position only ever records committed work.
        if storage_id > self.after.get(stream, -1):
            self.after[stream] = storage_id

    def serialize(self) -> str:
        return json.dumps(
            {"v": CURSOR_VERSION, "after": self.after}, sort_keys=True, separators=(",", ":")
        )

    def copy(self) -> CaptureCursor:
        return CaptureCursor(after=dict(self.after))
