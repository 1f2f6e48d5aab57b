"""Fixtures for the app's tests: the real demo history, seeded once per session, copied per test.

Copies keep tests independent: every page view is itself written to the log. The keys stay
shared (a copy of the store must be read with the keys its pseudonyms were made with).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_helpers import principal
from ui_seed import Seeded, copy_database, shared_seed

from lineage.store import AuditStore

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
# Clearing Streamlit's caches outside a script run warns about a missing context: expected here.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return shared_seed(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def deployed_version(seeded: Seeded) -> str:
    return seeded.deployed_version


@pytest.fixture(autouse=True)
def keys_dir(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Overrides the suite's per-test keys: the seeded store's pseudonyms need its own keys."""
    monkeypatch.setenv("MLAUDIT_KEYS_DIR", str(seeded.keys))
    for name in ("MLAUDIT_PSEUDONYM_KEY", "MLAUDIT_VAULT_KEY", "MLAUDIT_PRIVACY_RULES"):
        monkeypatch.delenv(name, raising=False)
    return seeded.keys


@pytest.fixture(autouse=True)
def main_module_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A script run makes the page its `__main__` and leaves it there. A later test of this
    worker that spawns a process would then run that page in the child (multiprocessing's spawn
    re-runs `__main__` by path), where it fails for want of a signed-in session."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])


@pytest.fixture
def ui_url(seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private copy of the seeded store, configured as the app's store through MLAUDIT_*."""
    database = copy_database(seeded.database, tmp_path / "audit.db")
    url = f"sqlite:///{database}"
    monkeypatch.setenv("MLAUDIT_HOME", str(tmp_path))
    monkeypatch.setenv("MLAUDIT_DATABASE_URL", url)
    yield url
    import streamlit as st

    # Engines and results of this copy are never asked for again; free them.
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def ui_store(ui_url: str) -> Iterator[AuditStore]:
    store = AuditStore.open(ui_url)
    yield store
    store.close()


@pytest.fixture
def app(ui_url: str) -> Callable[..., AppTest]:
    """An app session, signed in as `name` (session state as the sign-in form leaves it)."""

    def make(name: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        if name is not None:
            at.session_state["mlaudit_principal"] = principal(name)
            at.session_state["mlaudit_last_seen"] = time.monotonic()
        return at.run()

    return make
