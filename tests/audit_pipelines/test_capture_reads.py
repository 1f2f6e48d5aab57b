"""Reads through the audited IO manager, and deletions, as captured OpenLineage events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest_capture import (  # noqa: F401 - fixtures are used by name
    audit_store_fixture,
    capture_home_fixture,
    dagster_facet,
    instance_fixture,
    store_url_fixture,
    stored_events,
)
from dagster import (
    AssetKey,
    AssetObservation,
    DagsterInstance,
    Definitions,
    FilesystemIOManager,
    InputContext,
    asset,
    job,
    op,
)

from audit_pipelines.capture import AuditedIOManager, capture_until_idle
from lineage.privacy import pseudonym_for
from lineage.store import AuditStore
from lineage.validation import validate_event


@asset(tags={"ml/role": "dataset"})
def features() -> list[int]:
    return [1, 2, 3]


@asset(tags={"ml/role": "model"})
def model(features: list[int]) -> int:
    return sum(features)


@op
def forget_features(context) -> None:
    context.log_event(
        AssetObservation(
            asset_key="features",
            metadata={"lifecycle_state": "DROP", "reason": "erasure request #42"},
        )
    )


@job
def forget_job() -> None:
    forget_features()


def audited_defs(home: Path) -> Definitions:
    io_manager = AuditedIOManager(inner=FilesystemIOManager(base_dir=str(home / "storage")))
    return Definitions(
        assets=[features, model], jobs=[forget_job], resources={"io_manager": io_manager}
    )


def by_job(store: AuditStore, name: str) -> list[dict[str, Any]]:
    return [event for event in stored_events(store) if event["job"]["name"] == name]


def test_reads_become_inputs_of_the_reader(
    instance: DagsterInstance, audit_store: AuditStore, capture_home: Path
) -> None:
    defs = audited_defs(capture_home)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    capture_until_idle(instance, defs, audit_store)

    read, built = by_job(audit_store, "model")
    assert (read["eventType"], built["eventType"]) == ("RUNNING", "COMPLETE")
    # The read is on the same child run as the model it fed.
    assert read["run"]["runId"] == built["run"]["runId"]
    assert read["run"]["facets"]["parent"]["run"]["runId"] == result.run_id
    (read_input,) = read["inputs"]
    assert (read_input["namespace"], read_input["name"]) == ("dagster", "features")
    upstream = instance.fetch_materializations(AssetKey("features"), limit=1).records[0]
    version = upstream.asset_materialization.tags["dagster/data_version"]
    assert read_input["facets"]["version"]["datasetVersion"] == version
    assert built["inputs"][0]["facets"]["version"]["datasetVersion"] == version
    assert dagster_facet(read)["eventType"] == "ASSET_OBSERVATION"
    assert all(validate_event(event) == [] for event in stored_events(audit_store))


def test_a_read_outside_any_run_is_recorded(
    instance: DagsterInstance, audit_store: AuditStore, capture_home: Path
) -> None:
    defs = audited_defs(capture_home)
    defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    assert defs.load_asset_value("model", instance=instance) == 6
    capture_until_idle(instance, defs, audit_store)
    (outside,) = by_job(audit_store, "outside_run_read")
    assert outside["eventType"] == "COMPLETE"
    assert [(i["namespace"], i["name"]) for i in outside["inputs"]] == [("dagster", "model")]
    assert validate_event(outside) == []


def test_recording_never_breaks_the_load(
    instance: DagsterInstance, capture_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: InputContext, metadata: Any, description: Any = None) -> None:
        raise RuntimeError("event log unavailable")

    monkeypatch.setattr(InputContext, "add_input_metadata", refuse)
    defs = audited_defs(capture_home)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    assert result.success
    assert result.output_for_node("model") == 6


def test_deletion_is_a_drop_of_the_dataset(
    instance: DagsterInstance, audit_store: AuditStore, capture_home: Path
) -> None:
    defs = audited_defs(capture_home)
    run = defs.resolve_job_def("forget_job").execute_in_process(
        instance=instance, tags={"dagster/user": "dpo"}
    )
    capture_until_idle(instance, defs, audit_store)
    (drop,) = by_job(audit_store, "forget_job.forget_features")
    assert drop["eventType"] == "COMPLETE"
    assert drop["inputs"] == []
    (output,) = drop["outputs"]
    assert (output["namespace"], output["name"]) == ("dagster", "features")
    assert output["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "DROP"
    assert drop["run"]["facets"]["parent"]["run"]["runId"] == run.run_id
    dpo = pseudonym_for("dpo", audit_store.keys.pseudonym_key())
    assert drop["run"]["facets"]["mlaudit_actor"]["name"] == dpo
    tags = {t["key"]: t["value"] for t in drop["run"]["facets"]["tags"]["tags"]}
    assert tags["lifecycle_reason"] == "erasure request #42"
    assert validate_event(drop) == []
