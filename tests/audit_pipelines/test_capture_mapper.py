"""The mapping on real Dagster records: determinism, run states, actors, naming, validity."""

from __future__ import annotations

import uuid
from datetime import datetime
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
    DagsterEventType,
    DagsterInstance,
    Definitions,
    MaterializeResult,
    asset,
    define_asset_job,
)

from audit_pipelines.capture import capture_until_idle
from audit_pipelines.capture.cursor import CaptureCursor
from audit_pipelines.capture.mapper import (
    RUN_ID_NAMESPACE,
    DagsterLookup,
    event_json,
    map_record,
)
from audit_pipelines.capture.sensor import read_batch
from lineage.privacy import pseudonym_for
from lineage.store import AuditStore
from lineage.validation import validate_event


@asset(metadata={"dagster/uri": "s3://lake/raw/events.parquet"}, tags={"ml/role": "dataset"})
def raw_events() -> MaterializeResult:
    return MaterializeResult(metadata={"rows": 10})


# A plain config schema: `Config` classes break under `from __future__ import annotations`.
@asset(
    deps=[raw_events],
    tags={"ml/role": "model"},
    config_schema={"learning_rate": float, "depth": int},
)
def churn_model() -> MaterializeResult:
    # No `hyperparameters` metadata: the training facet falls back to the op's run config.
    return MaterializeResult(metadata={"algorithm": "gbm", "framework": "lightgbm 4"})


@asset(deps=[churn_model])
def broken() -> None:
    raise RuntimeError("boom")


DEFS = Definitions(
    assets=[raw_events, churn_model, broken],
    jobs=[
        define_asset_job("train", selection=[raw_events, churn_model]),
        define_asset_job("with_failure", selection=[raw_events, churn_model, broken]),
    ],
)


CONFIG = {"ops": {"churn_model": {"config": {"learning_rate": 0.05, "depth": 5}}}}


def launch(instance: DagsterInstance, job: str, tags: dict[str, str]) -> str:
    result = DEFS.resolve_job_def(job).execute_in_process(
        instance=instance, tags=tags, run_config=CONFIG, raise_on_error=False
    )
    return result.run_id


def events_of(store: AuditStore, run_id: str) -> list[dict[str, Any]]:
    return [event for event in stored_events(store) if dagster_facet(event)["runId"] == run_id]


def test_same_record_maps_to_identical_bytes(instance: DagsterInstance) -> None:
    launch(instance, "train", {"dagster/user": "alice"})
    records = [item.record for item in read_batch(instance, CaptureCursor(), 1000)]
    assert len(records) == 4  # run start, two materializations, run success
    first = [
        event_json(e)
        for r in records
        for e in map_record(r, DagsterLookup(instance, DEFS.get_repository_def()))
    ]
    second = [
        event_json(e)
        for r in records
        for e in map_record(r, DagsterLookup(instance, DEFS.get_repository_def()))
    ]
    assert first == second
    assert len(set(first)) == len(first)


def test_run_and_child_runs(instance: DagsterInstance, audit_store: AuditStore) -> None:
    run_id = launch(instance, "train", {"dagster/user": "alice"})
    capture_until_idle(instance, DEFS, audit_store)
    events = events_of(audit_store, run_id)
    assert [(e["eventType"], e["job"]["name"]) for e in events] == [
        ("START", "train"),
        ("COMPLETE", "raw_events"),
        ("COMPLETE", "churn_model"),
        ("COMPLETE", "train"),
    ]
    start, raw, model, complete = events
    assert start["run"]["runId"] == complete["run"]["runId"] == run_id
    for child, key in ((raw, AssetKey("raw_events")), (model, AssetKey("churn_model"))):
        expected = str(uuid.uuid5(RUN_ID_NAMESPACE, f"{run_id}|{key.to_string()}"))
        assert child["run"]["runId"] == expected
        parent = child["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == run_id
        assert parent["job"] == {"namespace": "dagster", "name": "train", "facets": {}}
    for event in events:
        # Stored under the user's pseudonym, never the plain name.
        alice = pseudonym_for("alice", audit_store.keys.pseudonym_key())
        assert event["run"]["facets"]["mlaudit_actor"]["name"] == alice
        assert event["run"]["facets"]["processing_engine"]["name"] == "Dagster"
        assert validate_event(event) == []


def test_times_come_from_the_dagster_record(
    instance: DagsterInstance, audit_store: AuditStore
) -> None:
    run_id = launch(instance, "train", {})
    capture_until_idle(instance, DEFS, audit_store)
    record = instance.fetch_materializations(AssetKey("churn_model"), limit=1).records[0]
    event = next(e for e in events_of(audit_store, run_id) if e["job"]["name"] == "churn_model")
    assert datetime.fromisoformat(event["eventTime"]).timestamp() == pytest.approx(
        record.timestamp, abs=1e-6
    )
    assert event["eventTime"].endswith("+00:00")
    assert dagster_facet(event)["storageId"] == record.storage_id


def test_dataset_names_versions_and_roles(
    instance: DagsterInstance, audit_store: AuditStore
) -> None:
    run_id = launch(instance, "train", {})
    capture_until_idle(instance, DEFS, audit_store)
    raw, model = [e for e in events_of(audit_store, run_id) if e["outputs"]]
    raw_out = raw["outputs"][0]
    assert (raw_out["namespace"], raw_out["name"]) == ("s3://lake", "raw/events.parquet")
    raw_record = instance.fetch_materializations(AssetKey("raw_events"), limit=1).records[0]
    raw_version = raw_record.asset_materialization.tags["dagster/data_version"]
    assert raw_out["facets"]["version"]["datasetVersion"] == raw_version
    # The model's input is the upstream dataset by the same name, at the version Dagster recorded.
    (model_in,) = model["inputs"]
    assert (model_in["namespace"], model_in["name"]) == ("s3://lake", "raw/events.parquet")
    assert model_in["facets"]["version"]["datasetVersion"] == raw_version
    model_out = model["outputs"][0]
    assert (model_out["namespace"], model_out["name"]) == ("dagster", "churn_model")
    assert model_out["facets"]["datasetType"]["datasetType"] == "MODEL"
    training = model["run"]["facets"]["mlaudit_training"]
    assert training["algorithm"] == "gbm"
    assert training["framework"] == "lightgbm 4"
    assert training["hyperparameters"] == {"learning_rate": 0.05, "depth": 5}


def test_failure_and_cancellation(instance: DagsterInstance, audit_store: AuditStore) -> None:
    failed = launch(instance, "with_failure", {"dagster/schedule_name": "nightly"})
    job_def = DEFS.resolve_job_def("train")
    pending = instance.create_run_for_job(
        job_def=job_def, run_config=CONFIG, tags={"dagster/sensor_name": "s3_drop"}
    )
    instance.report_run_canceled(pending)
    capture_until_idle(instance, DEFS, audit_store)
    fail = events_of(audit_store, failed)[-1]
    assert fail["eventType"] == "FAIL"
    assert "broken" in fail["run"]["facets"]["errorMessage"]["message"]
    assert "boom" in fail["run"]["facets"]["errorMessage"]["stackTrace"]
    assert fail["run"]["facets"]["mlaudit_actor"]["kind"] == "schedule"
    (abort,) = events_of(audit_store, pending.run_id)
    assert abort["eventType"] == "ABORT"
    assert abort["run"]["facets"]["mlaudit_actor"] == {
        **abort["run"]["facets"]["mlaudit_actor"],
        "name": "s3_drop",
        "kind": "sensor",
    }
    assert all(validate_event(event) == [] for event in stored_events(audit_store))


def test_volatile_run_tags_stay_out_of_events(instance: DagsterInstance) -> None:
    run_id = launch(instance, "train", {"dagster/user": "alice", "team": "growth"})
    records = [item.record for item in read_batch(instance, CaptureCursor(), 1000)]
    before = [event_json(e) for r in records for e in map_record(r, DagsterLookup(instance, None))]
    # Dagster adds such tags after the run (retries); a replay must not produce other bytes.
    instance.add_run_tags(run_id, {"dagster/will_retry": "false", ".dagster/grpc_info": "{}"})
    after = [event_json(e) for r in records for e in map_record(r, DagsterLookup(instance, None))]
    assert before == after
    start = map_record(records[0], DagsterLookup(instance, None))[0]
    assert start.run.facets["mlaudit_dagster"].tags == {"dagster/user": "alice", "team": "growth"}


def test_materialization_without_definitions_still_maps(instance: DagsterInstance) -> None:
    launch(instance, "train", {})
    batch = read_batch(instance, CaptureCursor(), 1000)
    events = [e for item in batch for e in map_record(item.record, DagsterLookup(instance, None))]
    assert [e.eventType.value for e in events] == ["START", "COMPLETE", "COMPLETE", "COMPLETE"]
    assert all(
        item.record.event_log_entry.dagster_event_type != DagsterEventType.ASSET_CHECK_EVALUATION
        for item in batch
    )
