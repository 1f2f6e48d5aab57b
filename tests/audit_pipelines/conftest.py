"""Fixtures for the Dagster tests: a throwaway DAGSTER_HOME and the instance living in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance


def write_dagster_yaml(home: Path) -> Path:
    """Make `home` a Dagster home without telemetry; return it."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary DAGSTER_HOME (and no MLAUDIT_HOME), so files and runs stay in tmp_path."""
    home = write_dagster_yaml(tmp_path / "dagster_home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("MLAUDIT_HOME", raising=False)
    return home


@pytest.fixture
def dagster_instance(dagster_home: Path) -> Iterator[DagsterInstance]:
    """The persistent instance of the temporary DAGSTER_HOME."""
    with DagsterInstance.get() as instance:
        yield instance
