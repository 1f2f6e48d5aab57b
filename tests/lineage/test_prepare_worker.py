"""A large SQLite batch whose later events a child process prepares: the same log and
projections as preparing alone, all or nothing, and whatever the child fails to deliver
prepared by the store itself."""

from __future__ import annotations

import copy
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest
from chunk_checks import WORKER_READY_S as READY_S
from chunk_checks import generator_events, strict_batch_refused_whole
from projection_rows import store_rows

import lineage.store as store_module
from lineage import prepare_slot
from lineage.keys import KeyStore, SymmetricKey
from lineage.preparation import Preparation
from lineage.prepare import prepare_batch
from lineage.privacy import load_rules
from lineage.privacy.apply import Pseudonymizer
from lineage.settings import Settings
from lineage.store import AuditStore
from lineage.verify import verify_log


def test_the_child_prepares_what_the_store_would_have(
    open_store: Callable[..., AuditStore], delivered: dict[str, int]
) -> None:
    helped, alone = open_store("helped.db"), open_store("alone.db", worker=False)
    events = generator_events(600)
    events += [copy.deepcopy(events[i]) for i in (3, 300, 599)]  # duplicates across chunks
    result = helped.ingest(copy.deepcopy(events))
    expected = alone.ingest(copy.deepcopy(events))
    assert delivered["results"] == len(events) - store_module.WORKER_HEAD
    assert result.accepted == expected.accepted
    assert [a.duplicate for a in result.accepted[-3:]] == [True, True, True]
    assert store_rows(helped.engine) == store_rows(alone.engine)
    assert verify_log(helped.engine, keys=helped.keys).ok


def test_integral_floats_come_back_as_floats_and_rejections_with_them(
    open_store: Callable[..., AuditStore], delivered: dict[str, int], kit: Any
) -> None:
    """Prepared events come back with their types (1.0 stays a float: the projection keeps
    what the producer sent), rejections (here an integer RFC 8785 cannot hold) with them."""
    helped, alone = open_store("helped.db"), open_store("alone.db", worker=False)
    events = generator_events(200)
    for n in range(200):
        hyperparameters = {"C": 1.0} if n % 2 else {"C": 2**70}
        training = kit.facet("TrainingRunFacet", algorithm="lr", hyperparameters=hyperparameters)
        events.append(
            kit.event(
                f"train{n}",
                "train",
                time=f"2026-01-01T10:{n // 60:02}:{n % 60:02}Z",
                inputs=[kit.dataset("clean", "c1")],
                outputs=[kit.dataset("model", f"m{n}", model=True)],
                mlaudit_training=training,
            )
        )
    result = helped.ingest(copy.deepcopy(events), strict=False)
    expected = alone.ingest(copy.deepcopy(events), strict=False)
    assert delivered["results"] == 250
    assert result.rejected == expected.rejected
    assert [r.index for r in result.rejected] == list(range(200, 400, 2))
    rows = store_rows(helped.engine)
    assert rows == store_rows(alone.engine)
    trained = [r["facets"]["mlaudit_training"] for r in rows["runs"] if "train" in str(r["facets"])]
    assert len(trained) == 100
    assert all(type(t["hyperparameters"]["C"]) is float for t in trained)


def test_a_strict_batch_with_invalid_events_in_the_childs_part_writes_nothing(
    open_store: Callable[..., AuditStore], delivered: dict[str, int]
) -> None:
    strict_batch_refused_whole(open_store("audit.db"), 500, (230, 499))
    assert delivered["results"] == 2 * 350 - 2  # the child prepared both tries' later part


def test_a_lenient_batch_reports_the_childs_rejections_as_the_store_would(
    open_store: Callable[..., AuditStore], delivered: dict[str, int]
) -> None:
    helped, alone = open_store("helped.db"), open_store("alone.db", worker=False)
    events = generator_events(400)
    for index in (0, 200, 201, 399):
        events[index]["eventTime"] = "yesterday"
    result = helped.ingest(copy.deepcopy(events), strict=False)
    expected = alone.ingest(copy.deepcopy(events), strict=False)
    assert [r.index for r in result.rejected] == [0, 200, 201, 399]
    assert result.rejected == expected.rejected
    assert result.accepted == expected.accepted
    assert store_rows(helped.engine) == store_rows(alone.engine)


def test_an_event_that_does_not_pickle_is_prepared_and_rejected_by_the_store(
    open_store: Callable[..., AuditStore], delivered: dict[str, int]
) -> None:
    store = open_store("audit.db")
    events = generator_events(300)
    events[280]["job"]["facets"] = {"odd": {"call": lambda: None}}
    result = store.ingest(events, strict=False)
    assert [r.index for r in result.rejected] == [280]
    assert len(result.accepted) == 299
    assert delivered["results"] == 0


def test_a_child_that_died_is_replaced_and_the_batch_prepared_by_the_store(
    open_store: Callable[..., AuditStore], delivered: dict[str, int]
) -> None:
    store = open_store("audit.db")
    _child(store).kill()
    _child(store).wait()
    assert len(store.ingest(generator_events(300)).accepted) == 300
    assert delivered["results"] == 0
    assert store.preparing.start(wait=READY_S)  # a new child
    assert len(store.ingest(generator_events(300, seed=2)).accepted) == 300
    assert delivered["results"] == 150
    assert verify_log(store.engine, keys=store.keys).ok


def test_what_the_child_fails_to_prepare_the_store_prepares(
    open_store: Callable[..., AuditStore], delivered: dict[str, int]
) -> None:
    """A child given a key whose material is not bytes raises at the first identity it
    pseudonymizes: it stops that job there, and the store prepares the rest itself."""
    store = open_store("audit.db", worker=False)
    rules = store.pseudonymizer.rules
    broken = Pseudonymizer(SymmetricKey("broken", None), rules)  # type: ignore[arg-type]
    store.preparing = prepare_slot.WorkerSlot(lambda: broken)
    assert store.preparing.start(wait=READY_S)
    events = generator_events(300)
    for event in events[:200]:
        event["run"]["facets"].pop("mlaudit_actor", None)  # no identity before 200
    assert len(store.ingest(events).accepted) == 300
    assert delivered["results"] == 50  # 150-199: the child stopped at 200
    assert _child(store).poll() is None  # and is there for the next batch
    assert len(store.ingest(generator_events(300, seed=2)).accepted) == 300
    assert verify_log(store.engine, keys=store.keys).ok


def test_closing_the_store_ends_the_child(open_store: Callable[..., AuditStore]) -> None:
    store = open_store("audit.db")
    child = _child(store)
    store.close()
    assert child.wait(timeout=10) == 0
    assert not store.preparing.enabled


def test_a_child_whose_store_went_away_mid_job_exits_quietly(
    open_store: Callable[..., AuditStore], capfd: pytest.CaptureFixture[str]
) -> None:
    store = open_store("audit.db")
    worker = store.preparing._worker
    assert worker is not None
    worker.job(generator_events(600), 0, 600)  # 600 events' results: more than the pipe holds
    child = _child(store)
    store.close()
    assert child.wait(timeout=30) == 0
    assert "Traceback" not in capfd.readouterr().err


def test_the_child_ignores_an_interrupt_meant_for_the_terminal(
    open_store: Callable[..., AuditStore],
) -> None:
    store = open_store("audit.db")
    os.kill(_child(store).pid, signal.SIGINT)
    assert len(store.ingest(generator_events(300)).accepted) == 300
    assert _child(store).poll() is None


def test_one_core_has_no_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare_slot, "_cores", lambda: 1)
    assert not prepare_slot.WorkerSlot(lambda: None, enabled=True).enabled  # type: ignore[arg-type,return-value]


def test_switched_off_by_the_environment() -> None:
    assert not Settings.from_env({"MLAUDIT_PREPARE_WORKER": "off"}).prepare_worker
    assert Settings.from_env({}).prepare_worker


def _child(store: AuditStore) -> Any:
    worker = store.preparing._worker
    assert worker is not None and worker._process is not None
    return worker._process


class _Arrived:
    """A child's job whose first `arrived` results are in already; `waited` counts the results
    taken that it would have had to wait for."""

    def __init__(self, results: list[Any], start: int, arrived: int) -> None:
        self.start, self.arrived, self.waited = start, arrived, 0
        self._results = results

    def delivered(self, index: int) -> bool:
        return index < self.arrived

    def result(self, index: int) -> Any:
        self.waited += index >= self.arrived
        return self._results[index]


@pytest.mark.parametrize(
    ("arrived", "sizes", "waited"), [(400, [400], 0), (120, [120, 100, 180], 280)]
)
def test_a_chunk_takes_every_result_already_delivered_and_waits_for_no_more_than_least(
    tmp_path: Any, arrived: int, sizes: list[int], waited: int
) -> None:
    """Each chunk costs statements of its own, so a chunk takes whatever the child has sent
    by then; it waits only to reach `least`, and the last chunk is never a small one."""
    privacy = Pseudonymizer(KeyStore(tmp_path).pseudonym_key(), load_rules())
    events = generator_events(400)
    results, _ = prepare_batch(copy.deepcopy(events), privacy=privacy)
    job = _Arrived(results, 50, arrived)
    preparation = Preparation(events, privacy, job)  # type: ignore[arg-type]
    taken = [preparation.take(50)]
    taken += [chunk for chunk in iter(lambda: preparation.take(100), [])]
    assert [len(chunk) for chunk in taken] == sizes
    assert [e.index for chunk in taken for e in chunk] == list(range(400))
    assert job.waited == waited


def test_delivered_answers_without_waiting_for_the_child(
    open_store: Callable[..., AuditStore],
) -> None:
    store = open_store("audit.db")
    worker = store.preparing._worker
    assert worker is not None
    job = worker.job(generator_events(200), 100, 200)
    assert not job.delivered(99)  # not the child's
    deadline = time.monotonic() + READY_S
    while not job.delivered(100):  # the first frame on its way, never waited for
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not job.delivered(101)  # not the next one
    assert [job.result(i).index for i in range(100, 200)] == list(range(100, 200))
    assert not job.delivered(200)  # past the job
    job.finish()
