"""The hourly counts the append keeps for the activity chart: always what the log itself says
(after batches, single events, duplicates, out-of-order times, archiving, a rebuild, and the
migration that counts an existing store), and the chart's answer is the log's for any span."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from migration_support import alembic
from sqlalchemy import Engine, inspect, text
from test_retention_support import archive, old_history

from lineage.queries.overview import bucket_for, category_counts
from lineage.rebuild import rebuild_projections
from lineage.report.activity import activity
from lineage.store import AuditStore

RAW = (
    "SELECT substr(l.event_time, 1, 13), c.category, COUNT(*) FROM entry_categories c "
    "JOIN audit_log l ON l.seq = c.seq GROUP BY substr(l.event_time, 1, 13), c.category"
)


# Counting the log itself, as the chart did before the counts were kept: the reference.
COUNTED = text(
    "SELECT substr(l.event_time, 1, :width) AS bucket, c.category, COUNT(*) AS entries "
    "FROM entry_categories c JOIN audit_log l ON l.seq = c.seq "
    "WHERE l.event_time >= :since AND l.event_time <= :until "
    "GROUP BY substr(l.event_time, 1, :width), c.category"
)


def _kept(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT hour, category, entries FROM category_hours"))
        return {(hour, category): n for hour, category, n in rows}


def _from_log(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        return {(hour, category): n for hour, category, n in conn.execute(text(RAW))}


def _mixed_events(kit, count: int, seed: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Reads, writes and trainings at random times over three days, out of time order; one in
    ten in the hour of 2026-04-02 05:00."""
    rng = random.Random(seed)
    events = []
    for i in range(count):
        day, hour = (2, 5) if i % 10 == 0 else (rng.randint(1, 3), rng.randint(0, 23))
        moment = f"2026-04-{day:02d}T{hour:02d}:{rng.randint(10, 50):02d}"
        time = f"{moment}:{rng.randint(0, 59):02d}.{rng.randint(0, 999999):06d}Z"
        outputs = [kit.dataset(f"out{i}", model=i % 5 == 0)] if i % 3 else []
        events.append(
            kit.event(
                f"run{seed}-{i}",
                "job",
                time=time,
                inputs=[kit.dataset(f"in{i % 7}")],
                outputs=outputs,
                actor=f"person{i % 4}" if i % 2 else None,
            )
        )
    return events


@pytest.fixture
def filled(store: AuditStore, kit) -> AuditStore:  # type: ignore[no-untyped-def]
    events = _mixed_events(kit, 120, seed=1)
    store.ingest(events[:100])  # a batch (COPY on PostgreSQL)
    for event in events[100:]:  # one event at a time (pipelined on PostgreSQL)
        store.ingest([event])
    store.ingest(events[40:60])  # stored already: counted once
    return store


def test_the_append_keeps_the_log_s_counts(filled: AuditStore) -> None:
    kept = _kept(filled.engine)
    assert kept == _from_log(filled.engine)
    assert sum(kept.values()) > 120  # most events are in more than one category
    assert len({hour for hour, _ in kept}) > 24


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (None, None),  # all time: days
        ("2026-04-01T13:30:00Z", "2026-04-03T02:15:30Z"),  # hours, both ends mid-hour
        ("2026-04-01T13:00:00Z", "2026-04-02T13:00:00Z"),  # ends on the hour
        ("2026-04-02T05:10:00Z", "2026-04-02T05:50:00Z"),  # within one hour: minutes
        ("2026-04-02T05:10:00Z", "2026-04-02T07:59:59Z"),  # three hours, minute buckets
        ("2026-04-02T22:00:00Z", "2026-04-02T21:00:00Z"),  # since after until: nothing
        ("2025-01-01T00:00:00Z", "2027-06-01T00:00:00Z"),  # months, far past the log
    ],
)
def test_the_chart_counts_what_the_log_holds(
    filled: AuditStore, since: str | None, until: str | None
) -> None:
    chart = category_counts(filled.engine, since=since, until=until)
    low, high = chart["since"], chart["until"]
    width, name = bucket_for(low, high)
    with filled.engine.connect() as conn:
        rows = conn.execute(COUNTED, {"width": width, "since": low, "until": high}).all()
    expected = Counter({(r.bucket, r.category): r.entries for r in rows})
    got = Counter({(r["bucket"], r["category"]): r["entries"] for r in chart["rows"]})
    assert chart["bucket"] == name
    assert got == Counter({(_full(b), c): n for (b, c), n in expected.items()})
    assert bool(got) == (since is None or since < until)
    if since is None or until is None:
        assert sum(got.values()) == sum(_from_log(filled.engine).values())


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2026-04-01T13:30:00.000000Z", "2026-04-03T02:15:30.000000Z"),
        ("2026-04-02T05:10:00.000000Z", "2026-04-02T05:50:00.000000Z"),
        ("2026-01-01T00:00:00.000000Z", "2026-12-31T23:59:59.999999Z"),
    ],
)
def test_a_report_counts_its_period_as_the_log_does(
    filled: AuditStore, since: str, until: str
) -> None:
    with filled.engine.connect() as conn:
        rows = conn.execute(COUNTED, {"width": 0, "since": since, "until": until}).all()
        report = activity(conn, {"since": since, "until": until})
    assert report["by_category"] == {r.category: r.entries for r in rows}
    assert report["by_category"]


def _full(prefix: str) -> str:
    """The chart's bucket time for a store-time prefix (as lineage.queries.overview writes it)."""
    filler = "0000-01-01T00:00:00"
    if len(prefix) < 10:
        prefix += filler[len(prefix) : 10]
    return prefix + filler[len(prefix) :] + "Z"


def test_a_rebuild_counts_again_from_the_log(filled: AuditStore) -> None:
    with filled.engine.begin() as conn:
        conn.execute(text("DELETE FROM category_hours WHERE category = 'data_access'"))
        conn.execute(text("UPDATE category_hours SET entries = entries + 5"))
    assert _kept(filled.engine) != _from_log(filled.engine)
    rebuild_projections(filled.engine)
    assert _kept(filled.engine) == _from_log(filled.engine)


def test_archiving_takes_its_entries_out_of_the_counts(
    store: AuditStore, kit, tmp_path: Path
) -> None:
    old_history(store, kit)
    assert any(hour.startswith("2016") for hour, _ in _kept(store.engine))
    outcome = archive(store, tmp_path / "archive")
    assert outcome.archived
    kept = _kept(store.engine)
    assert kept == _from_log(store.engine)
    assert not any(hour.startswith("2016") for hour, _ in kept)


def test_the_migration_counts_what_a_store_holds_and_goes_back(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(db_url)
    store.ingest(_mixed_events(kit, 30, seed=2))
    alembic(store.engine, "downgrade", "0015")
    with store.engine.begin() as conn:  # what a store of 0015 holds: no counts
        conn.execute(text("DELETE FROM category_hours"))
    store.ingest(_mixed_events(kit, 30, seed=3))
    alembic(store.engine, "upgrade", "head")
    kept = _kept(store.engine)
    assert kept == _from_log(store.engine)
    assert sum(kept.values()) >= 60
    alembic(store.engine, "downgrade", "0015", keep_counts=False)
    assert not inspect(store.engine).has_table("category_hours")
    store.close()


def test_counts_of_an_empty_store(store: AuditStore) -> None:
    assert _kept(store.engine) == {}
    assert category_counts(store.engine)["rows"] == []
