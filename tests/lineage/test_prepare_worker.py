"""Preparing with the worker process gives what preparing in-process gives, or falls back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lineage import prepare_worker
from lineage.keys import SymmetricKey
from lineage.prepare import PARALLEL_MIN, prepare_batch, prepare_part
from lineage.privacy import Pseudonymizer, RuleSet

SAMPLES = Path(__file__).parent.parent / "fixtures" / "openlineage"
PRIVACY = Pseudonymizer(SymmetricKey("k1", bytes(range(32))), RuleSet())


@pytest.fixture(scope="module")
def started() -> Iterator[prepare_worker.Worker]:
    """One worker for the module, started and ready (batches go in-process while it starts)."""
    fresh = prepare_worker.Worker()
    wait_until_ready(fresh)
    yield fresh
    fresh.close()


@pytest.fixture
def worker(
    started: prepare_worker.Worker, monkeypatch: pytest.MonkeyPatch
) -> prepare_worker.Worker:
    monkeypatch.setenv(prepare_worker.ENABLED_VARIABLE, "1")
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(prepare_worker, "_worker", started)
    wait_until_ready(started)  # again, after a test that killed it
    return started


def wait_until_ready(worker: prepare_worker.Worker) -> None:
    for _ in range(3000):  # up to a minute on a loaded machine
        pending = worker.submit(0, [], PRIVACY)
        if pending is not None:
            assert pending.result() == ([], [])
            return
        time.sleep(0.02)
    pytest.fail("the worker did not start")


def mixed_batch() -> list[Any]:
    """Valid and invalid samples, as dicts and as text, an email to pseudonymize, malformed JSON;
    each valid one under several run ids so the batch is large enough to split."""
    items: list[Any] = []
    for number, path in enumerate(sorted(SAMPLES.rglob("*.json")) * 12):
        event = json.loads(path.read_text())
        if isinstance(event, dict) and isinstance(event.get("run"), dict):
            event["run"]["runId"] = f"run-{number}"  # not a UUID: normalised, with a note
            facets = event["run"].setdefault("facets", {})
            facets["mlaudit_actor"] = actor(f"person{number % 7}@example.com")
        as_text = number % 3 == 0 or not isinstance(event, dict)  # a list item would raise
        items.append(json.dumps(event) if as_text else event)
    items.insert(len(items) * 3 // 4, b"{not json")
    assert len(items) >= PARALLEL_MIN
    return items


def actor(name: str) -> dict[str, Any]:
    return {
        "_producer": "https://example.com/p",
        "_schemaURL": "https://mlaudit.invalid/spec/facets/1-0-0/ActorRunFacet.json",
        "name": name,
        "kind": "user",
        "source": "test",
    }


def same(first: tuple[list[Any], list[Any]], second: tuple[list[Any], list[Any]]) -> None:
    assert first == second
    # identities are not part of equality (compare=False): they go to the vault, so check them.
    assert [p.identities for p in first[0]] == [p.identities for p in second[0]]


def test_the_worker_prepares_exactly_what_the_process_does(worker: prepare_worker.Worker) -> None:
    items = mixed_batch()
    sent = []
    submit = worker.submit

    def recording(start: int, part: list[Any], privacy: Pseudonymizer) -> Any:
        pending = submit(start, part, privacy)
        sent.append(pending is not None)
        return pending

    worker.submit = recording  # type: ignore[method-assign]
    result = prepare_batch(items, privacy=PRIVACY)
    assert sent == [True]
    same(result, prepare_part(0, items, privacy=PRIVACY))
    assert result[1] and any(p.identities for p in result[0]) and any(p.notes for p in result[0])


def test_a_dead_or_out_of_step_worker_means_preparing_in_process(
    worker: prepare_worker.Worker,
) -> None:
    stray = worker.submit(0, [], PRIVACY)
    assert stray is not None
    worker.lock.release()  # its reply is left in the pipe: the next reply is out of step
    items = mixed_batch()
    same(prepare_batch(items, privacy=PRIVACY), prepare_part(0, items, privacy=PRIVACY))
    assert worker._process is None  # discarded
    wait_until_ready(worker)

    items = mixed_batch()
    process = worker._process
    assert process is not None
    process.kill()
    process.wait()
    same(prepare_batch(items, privacy=PRIVACY), prepare_part(0, items, privacy=PRIVACY))


def test_events_that_do_not_pickle_are_prepared_in_process(worker: prepare_worker.Worker) -> None:
    items = [*mixed_batch(), {"eventType": "START", "odd": lambda: None}]
    same(prepare_batch(items, privacy=PRIVACY), prepare_part(0, items, privacy=PRIVACY))
    pending = worker.submit(0, [], PRIVACY)
    assert pending is not None and pending.result() == ([], [])  # the pipe was left clean


def test_an_error_in_the_workers_part_is_raised_as_in_process(
    worker: prepare_worker.Worker,
) -> None:
    items: list[Any] = [*mixed_batch(), 5]  # not an event at all: json.loads raises TypeError
    with pytest.raises(TypeError) as in_process:
        prepare_part(0, items, privacy=PRIVACY)
    with pytest.raises(TypeError) as split:
        prepare_batch(items, privacy=PRIVACY)
    assert str(split.value) == str(in_process.value)
    same(prepare_batch(items[:-1], privacy=PRIVACY), prepare_part(0, items[:-1], privacy=PRIVACY))


def test_the_worker_is_off_unless_asked_for_and_needs_two_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(prepare_worker.ENABLED_VARIABLE, raising=False)
    assert not prepare_worker.enabled()
    monkeypatch.setenv(prepare_worker.ENABLED_VARIABLE, "1")
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert not prepare_worker.enabled()
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert prepare_worker.enabled()
