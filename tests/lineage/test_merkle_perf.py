"""Benchmarks of the tree (opt in: MLAUDIT_BENCH=1; size with MLAUDIT_BENCH_ENTRIES).

    MLAUDIT_BENCH=1 .venv/bin/pytest tests/lineage/test_merkle_perf.py -s -p no:xdist

Figures are printed; the only assertion on time is the proof budget (10 ms), which holds with a
wide margin even on a busy machine. Stores are built through the real append path (chain and
tree, no projections) to keep the build short.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections.abc import Callable

import pytest

import lineage.append as append_module
from lineage.append import append_batch
from lineage.db import writer_transaction
from lineage.merkle.proofs import consistency_proof, inclusion_proof
from lineage.merkle.verifier import verify_consistency, verify_inclusion
from lineage.prepare import PreparedEvent, prepare_batch
from lineage.projection import project_entries
from lineage.store import AuditStore
from lineage.timeutil import now_store_time
from lineage.verify import verify_log

pytestmark = pytest.mark.skipif(
    os.environ.get("MLAUDIT_BENCH") != "1", reason="benchmark: set MLAUDIT_BENCH=1"
)
ENTRIES = int(os.environ.get("MLAUDIT_BENCH_ENTRIES", "100000"))


def events(count: int, tag: str) -> list[dict]:
    return [
        {
            "eventType": "COMPLETE",
            "eventTime": "2026-02-01T00:00:00Z",
            "producer": "https://test/producer",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tag}-{i}")), "facets": {}},
            "job": {"namespace": "test", "name": f"job{i % 50}"},
            "inputs": [{"namespace": "test", "name": f"in{i % 100}", "facets": {}}],
            "outputs": [{"namespace": "test", "name": f"out{i % 100}", "facets": {}}],
        }
        for i in range(count)
    ]


def append_all(store: AuditStore, prepared: list[PreparedEvent], *, project: bool) -> float:
    started = time.perf_counter()
    for start in range(0, len(prepared), 1000):
        with writer_transaction(store.engine) as conn:
            _, new = append_batch(
                conn, prepared[start : start + 1000], submitter=None, received_at=now_store_time()
            )
            if project:
                project_entries(conn, new)
    return time.perf_counter() - started


@pytest.mark.parametrize("project", [False, True], ids=["append-only", "append+project"])
def test_append_overhead_of_the_tree(tmp_path, monkeypatch, project: bool) -> None:  # type: ignore[no-untyped-def]
    """10,000 events on SQLite, with and without the tree code, alternating, best of each."""
    count = 10_000
    prepared, _ = prepare_batch(
        events(count, "o"), privacy=AuditStore.open(f"sqlite:///{tmp_path}/p.db").pseudonymizer
    )
    real, times = append_module.append_leaves, {True: [], False: []}
    for run in range(2 if project else 3):
        for tree in (False, True):
            monkeypatch.setattr(append_module, "append_leaves", real if tree else _skip)
            store = AuditStore.open(f"sqlite:///{tmp_path}/{run}-{tree}.db")
            times[tree].append(append_all(store, prepared, project=project))
            store.close()
    with_tree, without = min(times[True]), min(times[False])
    print(
        f"\n{'append+project' if project else 'append only'}, {count} events, SQLite: "
        f"without tree {without:.3f}s, with tree {with_tree:.3f}s, overhead "
        f"{(with_tree - without) / count * 1e6:.1f} us/entry ({(with_tree / without - 1):+.1%})"
    )


def _skip(*args: object, **kwargs: object) -> None:
    return None


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    store = AuditStore.open(f"sqlite:///{tmp_path_factory.mktemp('bench') / 'audit.db'}")
    started = time.perf_counter()
    for start in range(0, ENTRIES, 10_000):
        batch = events(min(10_000, ENTRIES - start), f"b{start}")
        prepared, _ = prepare_batch(batch, privacy=store.pseudonymizer)
        append_all(store, prepared, project=False)
    print(f"\nbuilt {ENTRIES:,} entries in {time.perf_counter() - started:.1f}s")
    yield store
    store.close()


def timings(action: Callable[[], None], runs: int = 2000) -> tuple[float, float, float]:
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        spent.append((time.perf_counter() - started) * 1e3)
    spent.sort()
    return statistics.mean(spent), spent[len(spent) // 2], spent[int(len(spent) * 0.99)]


def test_proof_time(big_store: AuditStore) -> None:
    rng = random.Random(1)
    with big_store.engine.connect() as conn:

        def inclusion() -> None:
            index = rng.randrange(ENTRIES)
            p = inclusion_proof(conn, index, ENTRIES)
            assert verify_inclusion(p.leaf_hash, index, ENTRIES, p.audit_path, p.root)

        def consistency() -> None:
            old = rng.randrange(1, ENTRIES + 1)
            p = consistency_proof(conn, old, ENTRIES)
            assert verify_consistency(old, ENTRIES, p.proof, p.old_root, p.new_root)

        for name, action in (("inclusion", inclusion), ("consistency", consistency)):
            mean, p50, p99 = timings(action)
            print(
                f"\n{name} proof at {ENTRIES:,} entries (generate + verify): "
                f"mean {mean:.3f} ms, p50 {p50:.3f} ms, p99 {p99:.3f} ms"
            )
            assert p99 < 10


def test_verify_throughput(big_store: AuditStore) -> None:
    for name, parallel_from in (("one pass", 10**12), ("default", None)):
        options = {} if parallel_from is None else {"parallel_from": parallel_from}
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            report = verify_log(big_store.engine, **options)
            best = min(best, time.perf_counter() - started)
        assert report.ok
        print(f"\nverify_log ({name}) {ENTRIES:,} entries: {best:.2f}s, {ENTRIES / best:,.0f}/s")
