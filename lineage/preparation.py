"""A batch's events prepared in order, a step at a time, ahead of the append that takes them.

A large batch is appended in chunks. On PostgreSQL its later events are prepared while the
server works on the earlier ones: `step` is the idle task of the append's waits
(lineage.projection.idle_work). On SQLite a child process prepares them (`delegated`,
lineage.prepare_slot) while the store appends. `take` hands the append its next chunk. The
events and the rejections are those `prepare_batch` gives for the same input.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from lineage.errors import InvalidEventsError
from lineage.ingest_result import Rejected
from lineage.prepare import PreparedEvent, RawEvent, prepare_one
from lineage.privacy.apply import Pseudonymizer

if TYPE_CHECKING:
    from lineage.prepare_slot import WorkerJob


class Preparation:
    def __init__(
        self, raw: Sequence[RawEvent], privacy: Pseudonymizer, delegated: WorkerJob | None = None
    ) -> None:
        self._raw = raw
        self._privacy = privacy
        self._delegated = delegated  # prepares raw[delegated.start:], as far as it delivers
        self._next = 0  # index of the next raw event to prepare
        self._ready: list[PreparedEvent] = []
        self.rejected: list[Rejected] = []
        self._failure: Exception | None = None

    @property
    def left(self) -> int:
        """Events not yet prepared."""
        return len(self._raw) - self._next

    def step(self) -> bool:
        """Prepare the next event; False when none is left. Never raises (it runs between a
        statement and its answer): a failure stops the steps and is raised by `take`."""
        if not self.left or self._failure is not None:
            return False
        try:
            self._prepare_next()
        except Exception as exc:  # raised by the next take, outside the wait
            self._failure = exc
            return False
        return True

    def take(self, least: int) -> list[PreparedEvent]:
        """The events prepared and not yet taken, in order, after preparing more until there
        are at least `least` of them; when fewer than `least` events would be left to prepare,
        they are prepared too, so the last chunk is not a small one."""
        if self._failure is not None:
            raise self._failure
        while self.left and (len(self._ready) < least or self.left < least or self._delivered()):
            self._prepare_next()
        taken, self._ready = self._ready, []
        return taken

    def _delivered(self) -> bool:
        """Whether the next event's result has come from the child already: taking it now makes
        the chunk larger at no wait, and each chunk has costs of its own (its reads, a statement
        a table)."""
        delegated = self._delegated
        return delegated is not None and delegated.delivered(self._next)

    def chunks(
        self, first: list[PreparedEvent], least: int, *, strict: bool
    ) -> Iterator[list[PreparedEvent]]:
        """`first`, then what `take(least)` gives until every event is prepared and taken.
        strict: stop at an invalid event with InvalidEventsError (every event checked)."""
        chunk = first
        while chunk:
            yield chunk
            chunk = self.take(least)
            self.refuse_invalid(strict)

    def refuse_invalid(self, strict: bool) -> None:
        """strict: raise InvalidEventsError naming every invalid event, if there is one."""
        if strict and self.rejected:
            self.rest()
            raise InvalidEventsError(self.rejected)

    def rest(self) -> list[PreparedEvent]:
        """Everything still to take, all of it prepared now."""
        while self.left:
            self._prepare_next()
        return self.take(0)

    def _prepare_next(self) -> None:
        index = self._next
        delegated = self._delegated
        result = delegated.result(index) if delegated and index >= delegated.start else None
        if result is None:
            result = prepare_one(index, self._raw[index], privacy=self._privacy)
        self._next = index + 1
        if isinstance(result, Rejected):
            self.rejected.append(result)
        else:
            self._ready.append(result)
