"""The collector pause around ingest: restored afterwards, shared by concurrent ingests."""

from __future__ import annotations

import gc
import threading

import pytest

from lineage.collector import collector_paused


@pytest.fixture(autouse=True)
def _restore_collector():
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


def test_paused_inside_and_enabled_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_disabled_by_the_process_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_enabled_again_on_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("ingest failed")
    assert gc.isenabled()


def test_overlapping_ingests_re_enable_only_when_the_last_ends() -> None:
    gc.enable()
    first_in, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with collector_paused():
        pass
    seen.append(gc.isenabled())  # the first ingest still runs: still paused
    release.set()
    thread.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_ingest_leaves_the_collector_as_it_found_it(store, base_event) -> None:
    gc.enable()
    store.ingest([base_event])
    assert store.count_entries() == 1
    assert gc.isenabled()
