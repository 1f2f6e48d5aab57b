"""The Dagster instance the demo and `mlaudit up` use: its own DAGSTER_HOME under the audit home."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance

DAGSTER_YAML = """\
# Written by mlaudit: a local instance with Dagster's default SQLite storage.
telemetry:
  enabled: false
"""


def dagster_home(audit_home: Path) -> Path:
    """DAGSTER_HOME when set, else `<audit home>/dagster`, created with a dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or audit_home / "dagster").expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def open_instance(audit_home: Path) -> DagsterInstance:
    """The persistent instance, with DAGSTER_HOME exported so child processes agree on it."""
    os.environ["DAGSTER_HOME"] = str(dagster_home(audit_home))
    return DagsterInstance.get()
