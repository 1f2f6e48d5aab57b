"""A large PostgreSQL batch appended in chunks, its later events prepared in the server's waits:
the same log and projections as one chunk, all or nothing, and failures raised where they belong.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from projection_rows import projection_rows
from sqlalchemy import Engine, select
from sqlalchemy.exc import DataError

import lineage.store as store_module
from bench.generator import LineageGenerator
from lineage import preparation
from lineage.errors import InvalidEventsError
from lineage.models import LogEntry
from lineage.store import AuditStore
from lineage.verify import verify_log

# Chunks small enough that a few hundred events make several of them, some below COPY's
# threshold (their writes pipelined) and some above it (COPY).
SMALL_CHUNKS = {"INTERLEAVE_FROM": 60, "FIRST_CHUNK": 20, "LEAST_CHUNK": 45}
# Two stores given the same events differ in the log only by arrival time and what hashes it.
ARRIVAL = {"received_at", "prev_hash", "entry_hash"}
LOG_FIELDS = [c.name for c in LogEntry.__table__.columns if c.name not in ARRIVAL]


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


def _events(count: int, seed: int = 5) -> list[dict[str, Any]]:
    """The benchmark's workload: runs with inputs and outputs, trainings, evaluations,
    deployments, readers (whose identities go to the vault)."""
    (events,) = LineageGenerator(count, seed=seed).batches(count)
    return events


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """The projections and the log, but for what the chain hashes besides the event."""
    log = select(*(LogEntry.__table__.c[name] for name in LOG_FIELDS)).order_by(LogEntry.seq)
    with engine.connect() as conn:
        entries = [dict(row) for row in conn.execute(log).mappings()]
    return {**projection_rows(engine), "audit_log": entries}


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
    events = _events(400)
    events += [copy.deepcopy(events[i]) for i in (3, 150, 399)]  # duplicates across chunks
    result = chunks.ingest(copy.deepcopy(events))
    expected = _one_chunk(whole, events)
    assert chunked["steps"] > 0  # later events were prepared while the server worked
    assert result.accepted == expected.accepted
    assert [a.duplicate for a in result.accepted[-3:]] == [True, True, True]
    assert [a.seq for a in result.accepted[-3:]] == [result.accepted[i].seq for i in (3, 150, 399)]
    assert _rows(chunks.engine) == _rows(whole.engine)
    assert verify_log(chunks.engine, keys=chunks.keys).ok


def test_a_strict_batch_with_late_invalid_events_writes_nothing(
    stores: tuple[AuditStore, AuditStore], chunked: dict[str, int]
) -> None:
    store, _ = stores
    store.ingest(_events(70, seed=1))
    before = _rows(store.engine)
    events = _events(300)
    for index in (230, 299):
        del events[index]["eventTime"]
    with pytest.raises(InvalidEventsError) as refused:
        store.ingest(events)
    assert [r.index for r in refused.value.rejected] == [230, 299]
    assert _rows(store.engine) == before
    del events[299], events[230]
    assert len(store.ingest(events).accepted) == 298  # the connection and the lock were let go
    assert verify_log(store.engine, keys=store.keys).ok


def test_a_lenient_batch_stores_the_valid_events_and_reports_the_rest(
    stores: tuple[AuditStore, AuditStore], chunked: dict[str, int]
) -> None:
    chunks, whole = stores
    events = _events(300)
    for index in (0, 100, 101, 299):
        events[index]["eventTime"] = "yesterday"
    result = chunks.ingest(copy.deepcopy(events), strict=False)
    expected = _one_chunk(whole, events, strict=False)
    assert [r.index for r in result.rejected] == [0, 100, 101, 299]
    assert result.rejected == expected.rejected
    assert result.accepted == expected.accepted
    assert _rows(chunks.engine) == _rows(whole.engine)


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
        store.ingest(_events(300))
    assert store.count_entries() == 0
    monkeypatch.setattr(preparation, "prepare_one", prepare_one)
    assert len(store.ingest(_events(300)).accepted) == 300


def test_a_value_the_database_refuses_in_a_late_chunk_rolls_back_the_batch(
    stores: tuple[AuditStore, AuditStore], chunked: dict[str, int]
) -> None:
    """PostgreSQL text cannot hold NUL: the COPY of the chunk holding it fails, client-side, as
    SQLAlchemy's DataError (the HTTP writer's cue to retry event by event)."""
    store, _ = stores
    events = _events(300)
    events[280]["job"]["name"] = "has\u0000nul"
    with pytest.raises(DataError, match="NUL"):
        store.ingest(copy.deepcopy(events), strict=False)
    assert store.count_entries() == 0
    del events[280]
    assert len(store.ingest(events).accepted) == 299
    assert verify_log(store.engine, keys=store.keys).ok
