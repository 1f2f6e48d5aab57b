"""The group-commit writer: requests queued during a transaction share the next one, and one
event the database refuses is isolated instead of failing its neighbours."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy.exc import DataError, OperationalError

from lineage.api.writer import BatchingWriter
from lineage.ingest_result import Accepted, IngestResult


class GatedStore:
    """Stands in for AuditStore.ingest; the first call waits for the gate so others queue up."""

    def __init__(self, fail: type[Exception] = DataError) -> None:
        self.calls: list[tuple[list[int], str | None]] = []
        self.gate = threading.Event()
        self.fail = fail

    def ingest(self, events: list[dict[str, Any]], *, strict: bool, submitter: str | None):  # type: ignore[no-untyped-def]
        assert strict is False
        self.gate.wait(5)
        self.calls.append(([e["n"] for e in events], submitter))
        if any(e.get("bad") for e in events):
            raise self.fail(
                "INSERT ...", {}, Exception("PostgreSQL text fields cannot contain NUL")
            )
        return IngestResult(
            accepted=[Accepted(i, 100 + e["n"], f"k{e['n']}", False) for i, e in enumerate(events)]
        )


def _queued_behind_a_slow_transaction(store: GatedStore, writer: BatchingWriter):  # type: ignore[no-untyped-def]
    first = writer.submit([{"n": 0}], "alice")
    time.sleep(0.2)  # the writer has taken `first` and waits at the gate
    rest = [
        writer.submit([{"n": 1}], "alice"),
        writer.submit([{"n": 2, "bad": True}], "alice"),
        writer.submit([{"n": 3}, {"n": 4}], "bob"),
    ]
    store.gate.set()
    return first, rest


def test_queued_requests_share_a_transaction_per_submitter() -> None:
    store = GatedStore()
    writer = BatchingWriter(store)  # type: ignore[arg-type]
    first, (one, bad, pair) = _queued_behind_a_slow_transaction(store, writer)
    assert first.result(5).accepted[0].seq == 100
    assert [(a.index, a.seq) for a in one.result(5).accepted] == [(0, 101)]
    refused = bad.result(5)
    assert (
        not refused.accepted and "cannot contain NUL" in refused.rejected[0].violations[0].message
    )
    assert [(a.index, a.seq) for a in pair.result(5).accepted] == [(0, 103), (1, 104)]
    # alice's two requests went together, failed on the NUL, and were replayed one by one;
    # bob's went in a transaction of their own (the submitter is part of every entry).
    assert store.calls == [
        ([0], "alice"),
        ([1, 2], "alice"),
        ([1], "alice"),
        ([2], "alice"),
        ([3, 4], "bob"),
    ]
    writer.close()


def test_an_unavailable_database_fails_every_request_of_the_transaction() -> None:
    store = GatedStore(fail=OperationalError)
    writer = BatchingWriter(store)  # type: ignore[arg-type]
    _, (one, bad, pair) = _queued_behind_a_slow_transaction(store, writer)
    for future in (one, bad):
        assert isinstance(future.exception(5), OperationalError)
    assert pair.result(5).accepted  # another transaction
    writer.close()


def test_closing_finishes_what_is_queued() -> None:
    store = GatedStore()
    store.gate.set()
    writer = BatchingWriter(store)  # type: ignore[arg-type]
    futures = [writer.submit([{"n": n}], None) for n in range(20)]
    writer.close()
    assert all(f.done() and f.result().accepted for f in futures)
