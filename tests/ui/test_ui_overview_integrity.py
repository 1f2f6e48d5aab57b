"""A large log is checked in a child process: the Overview does not wait for it, and shows its
result once it is in."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_helpers import app_as, forget_stores, store_for_app

from lineage.accounts.service import add_user
from lineage.cli.session import LOCAL_OPERATOR
from lineage.timeutil import now_store_time
from ui import integrity


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit) -> Iterator[str]:  # type: ignore[no-untyped-def]
    store = store_for_app(tmp_path, monkeypatch)
    store.ingest([kit.event(f"job{i}", "job", time=now_store_time()) for i in range(5)])
    add_user(store, LOCAL_OPERATOR, "aud", ["auditor"], password="correct horse battery")
    store.close()
    yield os.environ["MLAUDIT_DATABASE_URL"]
    forget_stores()


def test_the_page_does_not_wait_for_a_check_in_a_child(url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(integrity, "CHILD_FROM", 5)  # this log counts as large
    first = app_as("aud")
    assert any("is running since" in i.value for i in first.info)
    assert not any("Verified" in s.value for s in first.success)
    state = integrity._status(url)
    deadline = time.monotonic() + 60
    while state.started_at is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state.error is None and state.report is not None
    later = app_as("aud")
    assert any("Verified" in s.value for s in later.success)
    assert not any("is running since" in i.value for i in later.info)
