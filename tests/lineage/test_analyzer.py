"""Planner statistics are refreshed beside ingestion: the append never waits for ANALYZE."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from pg_statistics import analyzed_count, vacuumed
from sqlalchemy import Engine

from lineage import analyzer
from lineage.analyzer import StatisticsRefresher
from lineage.store import AuditStore


class BlockingRefresh:
    """Stands in for refresh_statistics: counts calls, holds each until released."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.calls = 0
        self.finished = 0

    def __call__(self, engine: Engine, *, analyze: bool = True) -> None:
        self.calls += 1
        self.started.release()
        try:
            assert self.release.wait(10), "the test never released the refresh"
        finally:
            self.finished += 1


@pytest.fixture
def blocking(monkeypatch: pytest.MonkeyPatch) -> Iterator[BlockingRefresh]:
    fake = BlockingRefresh()
    monkeypatch.setattr(analyzer, "refresh_statistics", fake)
    yield fake
    fake.release.set()


def _events(kit, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    return [kit.event(f"run-{i}", "job", time="2026-01-01T00:00:00Z") for i in range(count)]


def test_the_append_does_not_wait_for_the_refresh(pg_url: str, kit, blocking) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(pg_url)
    store.ingest(_events(kit, 1030))  # past 1,024 entries: a refresh is due
    assert blocking.started.acquire(timeout=10)
    store.ingest([kit.event("run-late", "job", time="2026-01-02T00:00:00Z")])
    assert store.count_entries() == 1031
    assert blocking.finished == 0  # both ingests returned while the refresh was still running
    blocking.release.set()
    assert store.statistics is not None and store.statistics.wait(10)
    assert (blocking.calls, store.statistics.runs) == (1, 1)
    store.close()


def test_growth_during_a_refresh_makes_exactly_one_more(blocking) -> None:  # type: ignore[no-untyped-def]
    refresher = StatisticsRefresher(engine=None)  # type: ignore[arg-type]
    refresher.request()
    assert blocking.started.acquire(timeout=10)
    refresher.request()
    refresher.request()  # both asked while the first ran: one more refresh covers them
    blocking.release.set()
    assert refresher.wait(10)
    assert (blocking.calls, refresher.runs) == (2, 2)
    refresher.request()  # idle again: a new request starts a new refresh
    assert refresher.wait(10)
    assert blocking.calls == 3


def test_a_failed_refresh_is_logged_and_the_next_one_runs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def failing_once(engine: Engine, *, analyze: bool = True) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("server went away")

    monkeypatch.setattr(analyzer, "refresh_statistics", failing_once)
    refresher = StatisticsRefresher(engine=None)  # type: ignore[arg-type]
    refresher.request()
    assert refresher.wait(10)
    assert "planner statistics not refreshed" in caplog.text and "server went away" in caplog.text
    refresher.request()
    assert refresher.wait(10)
    assert len(calls) == 2


def test_between_powers_of_two_the_edges_are_vacuumed_without_analyzing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(
        analyzer, "refresh_statistics", lambda engine, analyze=True: asked.append(analyze)
    )
    refresher = StatisticsRefresher(engine=None)  # type: ignore[arg-type]
    for before, after in [
        (600_000, 640_000),  # past 622,592 = 19 * 32,768: a vacuum step, no power of two
        (640_000, 650_000),  # no step passed
        (1_040_000, 1_050_000),  # past 2**20: statistics too
        (60, 70),  # past 64: statistics, as soon as plans start to depend on them
        (70, 100),  # no power of two passed, and too small for the edges' step
    ]:
        refresher.appended(before, after)
        assert refresher.wait(10)
    assert asked == [False, True, True]


def test_the_real_refresh_analyzes_the_log_and_vacuums_the_edges(pg_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(pg_url)
    assert vacuumed(store.engine) == []
    store.ingest(_events(kit, 1030))
    assert store.statistics is not None and store.statistics.wait(60)
    analyzed = analyzed_count(store.engine, ["audit_log", "runs", "version_edges"])
    found = vacuumed(store.engine)
    store.close()
    assert (analyzed, found) == (3, ["version_edges"])


def test_sqlite_has_no_refresher(sqlite_url: str) -> None:
    store = AuditStore.open(sqlite_url)
    assert store.statistics is None
    store.close()
