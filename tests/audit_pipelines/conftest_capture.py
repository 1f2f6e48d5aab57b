"""Fixtures and helpers of the capture tests; test modules import them explicitly.

Fixture functions carry a `_fixture` suffix and register under the short name (`instance`,
`audit_store`, ...), so importing them does not shadow the test parameters of the same name.

Every test gets a real Dagster instance in a temporary DAGSTER_HOME (telemetry off) and a real
SQLite audit store, with no MLAUDIT_* or OPENLINEAGE_* configuration leaking in from the shell.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterEventType,
    DagsterInstance,
    JobDefinition,
    job,
    op,
)
from dagster._core.event_api import RunStatusChangeRecordsFilter

from lineage.store import AuditStore

ISOLATED_ENV = (
    "MLAUDIT_HOME",
    "MLAUDIT_DATABASE_URL",
    "MLAUDIT_CAPTURE_MAX_EVENTS",
    "OPENLINEAGE_URL",
    "OPENLINEAGE_CONFIG",
    "OPENLINEAGE_DISABLED",
)


@pytest.fixture(name="capture_home")
def capture_home_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary DAGSTER_HOME; the working directory moves there too (no openlineage.yml)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name in ISOLATED_ENV:
        monkeypatch.delenv(name, raising=False)
    for name in [name for name in os.environ if name.startswith("OPENLINEAGE__")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture(name="instance")
def instance_fixture(capture_home: Path) -> Iterator[DagsterInstance]:
    with DagsterInstance.get() as dagster_instance:
        yield dagster_instance


@pytest.fixture(name="store_url")
def store_url_fixture(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'audit.db'}"


@pytest.fixture(name="audit_store")
def audit_store_fixture(store_url: str) -> Iterator[AuditStore]:
    store = AuditStore.open(store_url)
    yield store
    store.close()


def stored_events(store: AuditStore) -> list[dict[str, Any]]:
    return [entry["event"] for entry in store.entries()]


def dagster_facet(event: dict[str, Any]) -> dict[str, Any]:
    return event["run"]["facets"]["mlaudit_dagster"]


def origins(store: AuditStore) -> list[tuple[str, str, int]]:
    """(Dagster run id, event type, storage id) of every stored event."""
    return [
        (facet["runId"], facet["eventType"], facet["storageId"])
        for facet in map(dagster_facet, stored_events(store))
    ]


def burst_job(count: int, keys: Sequence[str] = ("burst_a", "burst_b", "burst_c")) -> JobDefinition:
    """An op job logging `count` materializations spread over `keys` (a burst in one run)."""

    @op(name="burst")
    def burst(context) -> None:
        for index in range(count):
            key = AssetKey(keys[index % len(keys)])
            context.log_event(AssetMaterialization(asset_key=key, metadata={"index": index}))

    @job(name=f"burst_{count}")
    def burst_run() -> None:
        burst()

    return burst_run


def log_record_count(instance: DagsterInstance, keys: Sequence[str]) -> int:
    """Materializations of `keys` plus run start/success/failure/cancel records in the log."""
    total = 0
    for name in keys:
        total += len(instance.fetch_materializations(AssetKey(name), limit=10_000).records)
    for event_type in (
        DagsterEventType.RUN_START,
        DagsterEventType.RUN_SUCCESS,
        DagsterEventType.RUN_FAILURE,
        DagsterEventType.RUN_CANCELED,
    ):
        records_filter = RunStatusChangeRecordsFilter(event_type=event_type)
        total += len(instance.fetch_run_status_changes(records_filter, limit=10_000).records)
    return total
