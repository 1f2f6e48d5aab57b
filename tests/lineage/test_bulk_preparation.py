"""A bulk import (`ingest_many`, `mlaudit ingest FILE`) prepared on two cores: the worker takes
the later part of each window while the store prepares the front. The outcome is one core's:
the same rows, the same refusal of the whole import for one invalid event wherever it lies, and
whatever the worker does not deliver prepared by the store."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from chunk_checks import WORKER_READY_S, generator_events
from projection_rows import store_rows

from lineage import bulk_preparation, prepare_slot
from lineage.errors import InvalidEventsError
from lineage.keys import SymmetricKey
from lineage.privacy.apply import Pseudonymizer
from lineage.store import AuditStore
from lineage.verify import verify_log

EVENTS = 1000  # windows of 400 below: the worker's parts 200-399, 600-799, 900-999


@pytest.fixture(autouse=True)
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_preparation, "HELPED_FROM", 300)
    monkeypatch.setattr(bulk_preparation, "WINDOW", 400)
    monkeypatch.setattr(bulk_preparation, "STARTING_WINDOW", 100)


def test_an_import_prepared_on_two_cores_stores_what_one_core_does(
    open_store: Callable[..., AuditStore], delivered: dict[str, int]
) -> None:
    helped, alone = open_store("helped.db"), open_store("alone.db", worker=False)
    events = generator_events(EVENTS)
    events += [copy.deepcopy(events[i]) for i in (3, 350, 999)]  # duplicates, some the worker's
    result = helped.ingest_many(copy.deepcopy(events), batch_size=300)
    expected = alone.ingest_many(copy.deepcopy(events), batch_size=300)
    assert delivered["results"] == 200 + 200 + 101  # the last window 800-1002: 902 on its
    assert result.accepted == expected.accepted
    assert result.duplicates == 3
    assert store_rows(helped.engine) == store_rows(alone.engine)
    assert verify_log(helped.engine, keys=helped.keys).ok


def test_an_invalid_event_anywhere_refuses_the_whole_import(
    open_store: Callable[..., AuditStore], delivered: dict[str, int]
) -> None:
    store = open_store("audit.db")
    store.ingest(generator_events(50, seed=1))
    before = store_rows(store.engine)
    events = generator_events(EVENTS)
    for index in (10, 350, 999):  # the store's part, the worker's, the worker's last
        del events[index]["eventTime"]
    with pytest.raises(InvalidEventsError) as refused:
        store.ingest_many(events)
    assert [r.index for r in refused.value.rejected] == [10, 350, 999]
    assert delivered["results"] > 0
    assert store_rows(store.engine) == before


def test_a_starting_worker_leaves_the_store_preparing_alone_until_it_is_ready(
    open_store: Callable[..., AuditStore],
) -> None:
    store = open_store("audit.db", worker=False)
    store.preparing = prepare_slot.WorkerSlot(lambda: store.pseudonymizer)  # not started
    result = store.ingest_many(generator_events(EVENTS))
    assert len(result.accepted) == EVENTS and result.duplicates == 0
    assert store.preparing.start(wait=WORKER_READY_S)  # the import started it
    assert verify_log(store.engine, keys=store.keys).ok


def test_what_the_worker_fails_to_prepare_in_an_import_the_store_prepares(
    open_store: Callable[..., AuditStore], delivered: dict[str, int]
) -> None:
    """A worker given a key whose material is not bytes raises at the first identity it
    pseudonymizes, which ends its job there; the store prepares the rest itself."""
    store = open_store("audit.db", worker=False)
    broken = Pseudonymizer(SymmetricKey("broken", None), store.pseudonymizer.rules)  # type: ignore[arg-type]
    store.preparing = prepare_slot.WorkerSlot(lambda: broken)
    assert store.preparing.start(wait=WORKER_READY_S)
    events = generator_events(EVENTS)
    for event in events[:250]:
        event["run"]["facets"].pop("mlaudit_actor", None)  # no identity before 250
    assert len(store.ingest_many(events).accepted) == EVENTS
    assert delivered["results"] == 50  # 200-249: the worker stopped at 250
    assert verify_log(store.engine, keys=store.keys).ok


def test_an_import_into_postgresql_is_prepared_on_two_cores_too(
    pg_url: str, delivered: dict[str, int]
) -> None:
    store = AuditStore.open(pg_url)
    try:
        assert store.preparing.start(wait=WORKER_READY_S)
        result = store.ingest_many(generator_events(EVENTS))
        assert len(result.accepted) == EVENTS
        assert delivered["results"] == 500
        assert verify_log(store.engine, keys=store.keys).ok
    finally:
        store.close()


def test_a_small_import_never_starts_the_worker(open_store: Callable[..., AuditStore]) -> None:
    store = open_store("audit.db", worker=False)
    store.preparing = prepare_slot.WorkerSlot(lambda: store.pseudonymizer)
    assert len(store.ingest_many(generator_events(299)).accepted) == 299
    assert store.preparing._worker is None
