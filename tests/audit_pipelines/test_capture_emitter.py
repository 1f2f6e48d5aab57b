"""The capture's OpenLineage client: the audit store first, forwarding from ordinary config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest_capture import (  # noqa: F401 - fixtures are used by name
    audit_store_fixture,
    burst_job,
    capture_home_fixture,
    instance_fixture,
    store_url_fixture,
    stored_events,
)
from dagster import DagsterInstance
from openlineage.client.transport.file import FileTransport
from openlineage.client.transport.transport import Config, Transport

from audit_pipelines.capture import build_client, capture_until_idle
from audit_pipelines.capture.emitter import configured_forward_transport
from lineage.store import AuditStore


class Unreachable(Transport):
    kind = "test_unreachable"
    config_class = Config

    def emit(self, event: Any) -> None:
        raise ConnectionError("lineage backend down")


def configure_file_forwarding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ordinary openlineage.yml naming a file transport, as a user would write it."""
    target = tmp_path / "forwarded.jsonl"
    config = tmp_path / "openlineage.yml"
    config.write_text(f"transport:\n  type: file\n  log_file_path: {target}\n  append: true\n")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    return target


def test_nothing_configured_means_no_forwarding(
    audit_store: AuditStore, capture_home: Path
) -> None:
    assert configured_forward_transport(audit_store) is None


def test_configured_transport_also_receives_every_event(
    instance: DagsterInstance,
    audit_store: AuditStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    target = configure_file_forwarding(tmp_path, monkeypatch)
    assert isinstance(configured_forward_transport(audit_store), FileTransport)
    burst_job(5).execute_in_process(instance=instance)
    _, emitted = capture_until_idle(instance, None, audit_store)
    forwarded = [json.loads(line) for line in target.read_text().splitlines()]
    assert emitted == len(forwarded) == audit_store.count_entries() == 7
    assert [e["run"]["runId"] for e in forwarded] == [
        e["run"]["runId"] for e in stored_events(audit_store)
    ]


def test_disabling_openlineage_does_not_disable_the_audit_trail(
    instance: DagsterInstance,
    audit_store: AuditStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = configure_file_forwarding(tmp_path, monkeypatch)
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    burst_job(5).execute_in_process(instance=instance)
    capture_until_idle(instance, None, audit_store)
    assert audit_store.count_entries() == 7
    assert not target.exists()


def test_a_failing_forward_never_holds_back_the_store(
    instance: DagsterInstance, audit_store: AuditStore
) -> None:
    burst_job(5).execute_in_process(instance=instance)
    client = build_client(audit_store, forward=Unreachable())
    _, emitted = capture_until_idle(instance, None, audit_store, client=client)
    assert emitted == audit_store.count_entries() == 7


def test_forwarding_to_the_same_store_is_skipped(
    audit_store: AuditStore, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "openlineage.yml"
    config.write_text(f"transport:\n  type: lineage.transport.StoreTransport\n  url: {store_url}\n")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    assert configured_forward_transport(audit_store) is None
