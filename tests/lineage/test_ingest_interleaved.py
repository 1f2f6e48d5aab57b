"""A large PostgreSQL batch appended in chunks, its later events prepared in the server's waits:
the same log and projections as one chunk, all or nothing, and failures raised where they belong.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from chunk_checks import generator_events, strict_batch_refused_whole
from projection_rows import store_rows
from sqlalchemy.exc import DataError

import lineage.store as store_module
from lineage import preparation
from lineage.store import AuditStore
from lineage.verify import verify_log

# Chunks small enough that a few hundred events make several of them, some below COPY's
# threshold (their writes pipelined) and some above it (COPY).
SMALL_CHUNKS = {"INTERLEAVE_FROM": 60, "FIRST_CHUNK": 20, "LEAST_CHUNK": 45}


@pytest.fixture
def chunked(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Small chunks, and a count of the events prepared while waiting on the server."""
    for name, value in SMALL_CHUNKS.items():
        monkeypatch.setattr(store_module, name, value)
    counts = {"steps": 0}
    step = preparation.Preparation.step

    def counted(self: preparation.Preparation) -> bool:
        stepped = step(self)
        counts["steps"] += stepped
        return stepped

    monkeypatch.setattr(preparation.Preparation, "step", counted)
    return counts


@pytest.fixture
def stores(pg_database: Any) -> Iterator[tuple[AuditStore, AuditStore]]:
    first, second = AuditStore.open(pg_database()), AuditStore.open(pg_database())
    yield first, second
    first.close()
    second.close()


def _one_chunk(store: AuditStore, events: list[dict[str, Any]], **options: Any) -> Any:
    """The store's path for a batch too small to chunk, whatever its size."""
    limit = store_module.INTERLEAVE_FROM
    store_module.INTERLEAVE_FROM = len(events) + 1
    try:
        return store.ingest(copy.deepcopy(events), **options)
    finally:
        store_module.INTERLEAVE_FROM = limit


def test_chunks_store_exactly_what_one_chunk_stores(
    stores: tuple[AuditStore, AuditStore], chunked: dict[str, int]
) -> None:
    chunks, whole = stores
    events = generator_events(400)
    events += [copy.deepcopy(events[i]) for i in (3, 150, 399)]  # duplicates across chunks
    result = chunks.ingest(copy.deepcopy(events))
    expected = _one_chunk(whole, events)
    assert chunked["steps"] > 0  # later events were prepared while the server worked
    assert result.accepted == expected.accepted
    assert [a.duplicate for a in result.accepted[-3:]] == [True, True, True]
    assert [a.seq for a in result.accepted[-3:]] == [result.accepted[i].seq for i in (3, 150, 399)]
    assert store_rows(chunks.engine) == store_rows(whole.engine)
    assert verify_log(chunks.engine, keys=chunks.keys).ok


def test_a_strict_batch_with_late_invalid_events_writes_nothing(
    stores: tuple[AuditStore, AuditStore], chunked: dict[str, int]
) -> None:
    strict_batch_refused_whole(stores[0], 300, (230, 299))


def test_a_lenient_batch_stores_the_valid_events_and_reports_the_rest(
    stores: tuple[AuditStore, AuditStore], chunked: dict[str, int]
) -> None:
    chunks, whole = stores
    events = generator_events(300)
    for index in (0, 100, 101, 299):
        events[index]["eventTime"] = "yesterday"
    result = chunks.ingest(copy.deepcopy(events), strict=False)
    expected = _one_chunk(whole, events, strict=False)
    assert [r.index for r in result.rejected] == [0, 100, 101, 299]
    assert result.rejected == expected.rejected
    assert result.accepted == expected.accepted
    assert store_rows(chunks.engine) == store_rows(whole.engine)


def test_preparing_that_fails_in_a_wait_is_raised_and_nothing_is_written(
    stores: tuple[AuditStore, AuditStore], chunked: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = stores
    prepare_one = preparation.prepare_one

    def failing(index: int, item: Any, **options: Any) -> Any:
        if index == 250:
            raise RuntimeError("preparing broke")
        return prepare_one(index, item, **options)

    monkeypatch.setattr(preparation, "prepare_one", failing)
    with pytest.raises(RuntimeError, match="preparing broke"):
        store.ingest(generator_events(300))
    assert store.count_entries() == 0
    monkeypatch.setattr(preparation, "prepare_one", prepare_one)
    assert len(store.ingest(generator_events(300)).accepted) == 300


def test_a_value_the_database_refuses_in_a_late_chunk_rolls_back_the_batch(
    stores: tuple[AuditStore, AuditStore], chunked: dict[str, int]
) -> None:
    """PostgreSQL text cannot hold NUL: the COPY of the chunk holding it fails, client-side, as
    SQLAlchemy's DataError (the HTTP writer's cue to retry event by event)."""
    store, _ = stores
    events = generator_events(300)
    events[280]["job"]["name"] = "has\u0000nul"
    with pytest.raises(DataError, match="NUL"):
        store.ingest(copy.deepcopy(events), strict=False)
    assert store.count_entries() == 0
    del events[280]
    assert len(store.ingest(events).accepted) == 299
    assert verify_log(store.engine, keys=store.keys).ok
