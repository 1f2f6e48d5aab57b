"""The benchmark generator: deterministic, exact in size, time-ordered, valid for the store."""

from __future__ import annotations

import collections
import uuid
from collections.abc import Iterable
from datetime import datetime

import pytest

from bench.generator import LineageGenerator
from lineage.queries.trace import trace
from lineage.store import AuditStore


def _events(total: int, seed: int = 7) -> list[dict]:
    return [e for batch in LineageGenerator(total, seed=seed).batches(500) for e in batch]


def test_same_seed_same_events_other_seed_other_events() -> None:
    assert _events(1500) == _events(1500)
    assert _events(1500) != _events(1500, seed=8)


@pytest.mark.parametrize("total", [2, 999, 3000])
def test_exact_count_in_time_order(total: int) -> None:
    events = _events(total)
    times = [e["eventTime"] for e in events]
    assert len(events) == total
    assert times == sorted(times)


def test_runs_are_start_end_pairs_and_reads_outnumber_writes() -> None:
    events = _events(4000)
    kinds = collections.defaultdict(list)
    for event in events:
        kinds[event["run"]["runId"]].append(event["eventType"])
    assert all(k[0] == "START" and k[1] in ("COMPLETE", "FAIL") for k in kinds.values())
    ended = [e for e in events if e["eventType"] == "COMPLETE"]
    writes = sum(1 for e in ended if e["outputs"])
    assert sum(1 for e in ended if not e["outputs"]) > 3 * writes


def test_targets_need_the_whole_stream() -> None:
    generator = LineageGenerator(100)
    with pytest.raises(RuntimeError, match="targets"):
        _ = generator.targets


def test_rejects_a_size_too_small() -> None:
    with pytest.raises(ValueError, match="total"):
        LineageGenerator(1)


def test_store_accepts_everything_and_model_chains_are_30_deep(sqlite_url: str) -> None:
    generator = LineageGenerator(6000)
    store = AuditStore.open(sqlite_url)
    for batch in generator.batches(1000):
        assert store.ingest(batch).rejected == []
    targets = generator.targets
    assert store.count_entries() == 6000
    assert targets.model_versions and targets.sources and targets.long_history
    for model in targets.model_versions:
        found = trace(store.engine, model.name, version=model.version, namespace=model.namespace)
        assert max(node["depth"] for node in found["datasets"]) >= 30
        assert found["sources"]
    assert targets.as_of
    for moment in targets.as_of:
        then = trace(store.engine, moment.name, namespace=moment.namespace, as_of=moment.as_of)
        assert then["model"]["version"] == moment.version
    store.close()


def test_run_ids_are_uuidv7_in_start_order_unless_asked_for_v4() -> None:
    starts = [e for e in _events(3000) if e["eventType"] == "START"]
    ids = [uuid.UUID(e["run"]["runId"]) for e in starts]
    assert {u.version for u in ids} == {7} and {u.variant for u in ids} == {uuid.RFC_4122}
    # The first 48 bits are the START's millisecond: ids sort as their runs began.
    millis = [u.int >> 80 for u in ids]
    assert millis == sorted(millis)
    began = datetime.fromisoformat(starts[0]["eventTime"])
    assert millis[0] == int(began.timestamp() * 1000)
    random_ids = LineageGenerator(3000, run_ids="v4").events()
    assert {uuid.UUID(e["run"]["runId"]).version for e in random_ids} == {4}


def test_the_run_id_kind_changes_nothing_but_the_ids() -> None:
    def without_ids(events: Iterable[dict]) -> list[dict]:
        return [{**e, "run": {**e["run"], "runId": None}} for e in events]

    v4 = LineageGenerator(1500, run_ids="v4").events()
    assert without_ids(_events(1500)) == without_ids(v4)


def test_rejects_an_unknown_run_id_kind() -> None:
    with pytest.raises(ValueError, match="run_ids must be one of"):
        LineageGenerator(100, run_ids="v1")
