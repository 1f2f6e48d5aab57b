"""Checks shared by the tests of batches appended in chunks (PostgreSQL's interleaved ones and
SQLite's prepared by a child)."""

from __future__ import annotations

from typing import Any

import pytest
from projection_rows import store_rows

from bench.generator import LineageGenerator
from lineage.errors import InvalidEventsError
from lineage.store import AuditStore
from lineage.verify import verify_log

WORKER_READY_S = 60.0  # the preparing worker's start-up, on a loaded machine


def generator_events(count: int, seed: int = 5) -> list[dict[str, Any]]:
    """The benchmark's workload: runs with inputs and outputs, trainings, evaluations,
    deployments, readers (whose identities go to the vault)."""
    (events,) = LineageGenerator(count, seed=seed).batches(count)
    return events


def strict_batch_refused_whole(store: AuditStore, count: int, invalid: tuple[int, int]) -> None:
    """A strict batch of `count` events, two of them (late ones) invalid: refused naming both,
    nothing written; the same batch without them is then stored whole (what the refusal held,
    the lock, the connection, a child, was let go) and the log verifies."""
    store.ingest(generator_events(70, seed=1))
    before = store_rows(store.engine)
    events = generator_events(count)
    for index in invalid:
        del events[index]["eventTime"]
    with pytest.raises(InvalidEventsError) as refused:
        store.ingest(events)
    assert [r.index for r in refused.value.rejected] == list(invalid)
    assert store_rows(store.engine) == before
    for index in sorted(invalid, reverse=True):
        del events[index]
    assert len(store.ingest(events).accepted) == count - len(invalid)
    assert verify_log(store.engine, keys=store.keys).ok
