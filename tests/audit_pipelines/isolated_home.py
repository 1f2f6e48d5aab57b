"""An audit home of its own for a module's staged Dagster history, free of the caller's env."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lineage.settings import Settings

FOREIGN = ("MLAUDIT_", "DAGSTER_", "OPENLINEAGE")


@contextmanager
def isolated_home(home: Path, *, instance_yaml: bool = True) -> Iterator[Settings]:
    """MLAUDIT_/DAGSTER_/OPENLINEAGE variables cleared; MLAUDIT_HOME = `home`, DAGSTER_HOME
    under it (with a dagster.yaml unless the code under test writes its own)."""
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith(FOREIGN)]:
            env.delenv(name)
        env.setenv("MLAUDIT_HOME", str(home))
        env.setenv("DAGSTER_HOME", str(home / "dagster"))
        if instance_yaml:
            (home / "dagster").mkdir(parents=True)
            (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        yield Settings.from_env()
