"""Many writers at once keep one linear chain, and each event is stored exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from lineage.store import AuditStore
from lineage.verify import verify_chain

WRITERS = 4
BATCHES = 25
PER_BATCH = 4


def _events(kit, writer: int, batch: int) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        kit.event(
            f"w{writer}-b{batch}-{i}",
            f"job{writer}",
            time="2026-02-01T00:00:00Z",
            outputs=[kit.dataset(f"d{writer}", f"v{batch}-{i}")],
        )
        for i in range(PER_BATCH)
    ]


def _write_all(url: str, kit, writer: int) -> int:  # type: ignore[no-untyped-def]
    store = AuditStore.open(url, run_migrations=False)
    stored = 0
    for batch in range(BATCHES):
        stored += store.ingest(_events(kit, writer, batch)).stored
        # Every writer also replays a batch another writer sends: it must dedupe, not fail.
        stored += store.ingest(_events(kit, (writer + 1) % WRITERS, batch)).stored
    store.close()
    return stored


def test_parallel_writers_keep_the_chain_linear(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    AuditStore.open(db_url).close()
    with ThreadPoolExecutor(WRITERS) as pool:
        stored = sum(pool.map(lambda w: _write_all(db_url, kit, w), range(WRITERS)))
    store = AuditStore.open(db_url)
    expected = WRITERS * BATCHES * PER_BATCH
    assert stored == expected
    assert store.count_entries() == expected
    report = verify_chain(store.engine)
    assert report.ok, report.problems[:3]
    assert report.head_seq == expected
    store.close()
