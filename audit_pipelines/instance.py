"""The Dagster instance the demo and `mlaudit up` use: its own DAGSTER_HOME under the audit home."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance
from sqlalchemy.engine import make_url

SQLITE_YAML = """\
# Written by mlaudit: a local instance with Dagster's default SQLite storage.
telemetry:
  enabled: false
"""

POSTGRES_YAML = """\
# Written by mlaudit from MLAUDIT_DAGSTER_STORAGE_URL: runs, events and schedules in PostgreSQL.
telemetry:
  enabled: false
storage:
  postgres:
    postgres_url: "{url}"
"""


def instance_yaml(storage_url: str | None) -> str:
    """dagster.yaml for SQLite (default) or PostgreSQL storage.

    dagster-postgres needs the psycopg2 driver named: with SQLAlchemy 2.1 a bare postgresql://
    URL selects psycopg 3, and every event write then fails.
    """
    if not storage_url:
        return SQLITE_YAML
    url = make_url(storage_url).set(drivername="postgresql+psycopg2")
    return POSTGRES_YAML.format(url=url.render_as_string(hide_password=False))


def dagster_home(audit_home: Path) -> Path:
    """DAGSTER_HOME when set, else `<audit home>/dagster`, created with a dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or audit_home / "dagster").expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(instance_yaml(os.environ.get("MLAUDIT_DAGSTER_STORAGE_URL")))
    return home


def open_instance(audit_home: Path) -> DagsterInstance:
    """The persistent instance, with DAGSTER_HOME exported so child processes agree on it."""
    os.environ["DAGSTER_HOME"] = str(dagster_home(audit_home))
    return DagsterInstance.get()
