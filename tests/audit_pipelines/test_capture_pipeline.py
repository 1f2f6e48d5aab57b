"""The whole example ML project on a real instance, captured by the project's own definitions.

Runs the demo scenario (train, deploy, retrain and deploy, roll back, delete) with the audited IO
manager, captures the event log, and checks every event against the OpenLineage 2-0-2 schema and
the mapping contract (ARCHITECTURE.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest_capture import dagster_facet, origins, stored_events
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    SkipReason,
    build_sensor_context,
)
from dagster._core.event_api import RunStatusChangeRecordsFilter

from audit_pipelines.capture import capture_sensor, capture_until_idle
from audit_pipelines.capture.io_manager import READER_ASSETS_KEY
from audit_pipelines.capture.sensor import RUN_STATUS_TYPES
from audit_pipelines.definitions import build_definitions
from audit_pipelines.scenario import run_demo_scenario
from lineage.privacy import pseudonym_for
from lineage.store import AuditStore
from lineage.validation import validate_event

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")
MODEL = AssetKey("breast_cancer_model")


@dataclass(frozen=True)
class Captured:
    instance: DagsterInstance
    defs: Definitions
    store: AuditStore
    store_url: str
    cursor: str
    run_ids: list[str]
    events: list[dict[str, Any]]


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Captured]:
    home = tmp_path_factory.mktemp("capture_pipeline")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    store_url = f"sqlite:///{home / 'audit.db'}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        for name in (
            "MLAUDIT_HOME",
            "MLAUDIT_DATABASE_URL",
            "OPENLINEAGE_URL",
            "OPENLINEAGE_CONFIG",
        ):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.chdir(home)
        defs = build_definitions(home, store_url)
        with DagsterInstance.get() as instance:
            io_manager = defs.resources["io_manager"]
            run_ids = run_demo_scenario(instance, resources={"io_manager": io_manager}, home=home)
            store = AuditStore.open(store_url)
            cursor, _ = capture_until_idle(instance, defs, store)
            yield Captured(instance, defs, store, store_url, cursor, run_ids, stored_events(store))
            store.close()


def of_kind(captured: Captured, job: str, event_type: str | None = None) -> list[dict[str, Any]]:
    return [
        event
        for event in captured.events
        if event["job"]["name"] == job and event_type in (None, event["eventType"])
    ]


def model_versions(captured: Captured) -> list[str]:
    records = captured.instance.fetch_materializations(MODEL, limit=100, ascending=True).records
    return [record.asset_materialization.tags["dagster/data_version"] for record in records]


def test_every_event_is_valid_openlineage(captured: Captured) -> None:
    problems = {
        f"{e['job']['name']} {e['eventType']}": violations
        for e in captured.events
        if (violations := validate_event(e))
    }
    assert problems == {}


def test_every_run_has_at_most_one_terminal_event(captured: Captured) -> None:
    # OpenLineage 2-0-2: one COMPLETE/FAIL/ABORT per run; whatever comes after it is OTHER.
    terminal = Counter(
        e["run"]["runId"]
        for e in captured.events
        if e["eventType"] in ("COMPLETE", "FAIL", "ABORT")
    )
    assert [run_id for run_id, count in terminal.items() if count > 1] == []


def test_store_holds_each_dagster_record_once(captured: Captured) -> None:
    instance = captured.instance
    expected = 0
    for event_type in RUN_STATUS_TYPES:
        records_filter = RunStatusChangeRecordsFilter(event_type=event_type)
        expected += len(instance.fetch_run_status_changes(records_filter, limit=1000).records)
    for record in instance.get_asset_records():
        key = record.asset_entry.asset_key
        expected += len(instance.fetch_materializations(key, limit=1000).records)
        for observation in instance.fetch_observations(key, limit=1000).records:
            readers = observation.asset_observation.metadata.get(READER_ASSETS_KEY)
            expected += max(1, len(readers.value) if readers else 1)
    for run_id in captured.run_ids:
        checks = instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        )
        expected += len(checks.records)
    assert captured.store.count_entries() == expected == len(captured.events)
    assert max(Counter(origins(captured.store)).values()) == 1
    # Replaying the whole log from scratch stores nothing new.
    capture_until_idle(instance, captured.defs, captured.store, cursor=None)
    assert captured.store.count_entries() == expected


def test_the_real_sensor_is_idle_after_the_drain(captured: Captured) -> None:
    # build_sensor_context does not take resources from `definitions`: pass the same one.
    context = build_sensor_context(
        instance=captured.instance,
        cursor=captured.cursor,
        definitions=captured.defs,
        resources={"audit_store": captured.defs.resources["audit_store"]},
    )
    assert isinstance(capture_sensor(context), SkipReason)


def pseudonym(captured: Captured, name: str) -> str:
    """How the store records `name`: its pseudonym under the store's key."""
    return pseudonym_for(name, captured.store.keys.pseudonym_key())


def test_actors_of_the_runs(captured: Captured) -> None:
    starts = [e for e in captured.events if e["eventType"] == "START"]
    assert [(e["job"]["name"], e["run"]["facets"]["mlaudit_actor"]["name"]) for e in starts] == [
        ("training_pipeline", pseudonym(captured, "alice")),
        ("deploy_model", pseudonym(captured, "alice")),
        ("training_pipeline", pseudonym(captured, "bob")),
        ("deploy_model", pseudonym(captured, "bob")),
        ("deploy_model", pseudonym(captured, "carol")),
        ("delete_dataset_job", pseudonym(captured, "dave")),
    ]
    assert [e["run"]["runId"] for e in starts] == captured.run_ids


def test_training_facets(captured: Captured) -> None:
    trainings = of_kind(captured, "breast_cancer_model", "COMPLETE")
    facets = [e["run"]["facets"]["mlaudit_training"] for e in trainings]
    assert [f["algorithm"] for f in facets] == ["logistic_regression", "random_forest"]
    assert facets[1]["hyperparameters"] == {"n_estimators": 200, "max_depth": 6, "random_state": 0}
    assert facets[1]["framework"].startswith("scikit-learn")
    outputs = [e["outputs"][0] for e in trainings]
    assert [o["facets"]["version"]["datasetVersion"] for o in outputs] == model_versions(captured)
    assert all(o["facets"]["datasetType"]["datasetType"] == "MODEL" for o in outputs)
    assert trainings[0]["inputs"][0]["name"] == "breast_cancer_features"


def test_evaluations_and_checks_name_the_model_version(captured: Captured) -> None:
    v1, v2 = model_versions(captured)
    evaluations = of_kind(captured, "breast_cancer_evaluation")
    materialized = [
        e for e in evaluations if dagster_facet(e)["eventType"] == "ASSET_MATERIALIZATION"
    ]
    checks = [e for e in evaluations if dagster_facet(e)["eventType"] == "ASSET_CHECK_EVALUATION"]
    reads = [e for e in evaluations if e["eventType"] == "RUNNING"]
    assert [e["run"]["facets"]["mlaudit_evaluation"]["model"]["version"] for e in materialized] == [
        v1,
        v2,
    ]
    metrics = materialized[0]["run"]["facets"]["mlaudit_evaluation"]["metrics"]
    assert set(metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert {
        (i["name"], i["facets"]["version"]["datasetVersion"])
        for e in reads[:2]
        for i in e["inputs"]
    } >= {("breast_cancer_model", v1)}
    assert len(checks) == 4
    # The materialization ends the child run; a check evaluation is a later, non-terminal event.
    assert [e["eventType"] for e in materialized] == ["COMPLETE", "COMPLETE"]
    assert [e["eventType"] for e in checks] == ["OTHER"] * 4
    results = [e["run"]["facets"]["mlaudit_evaluation"] for e in checks]
    assert {(r["checks"][0]["name"], r["checks"][0]["severity"]) for r in results} == {
        ("accuracy_at_least_0_9", "ERROR"),
        ("roc_auc_at_least_0_95", "WARN"),
    }
    assert [r["model"]["version"] for r in results] == [v1, v1, v2, v2]
    # A check event lands on the evaluation's child run of the same Dagster run.
    assert checks[0]["run"]["runId"] == materialized[0]["run"]["runId"]


def test_deployments_input_the_deployed_version(captured: Captured) -> None:
    v1, v2 = model_versions(captured)
    deployments = of_kind(captured, "breast_cancer_deployment", "COMPLETE")
    facets = [e["run"]["facets"]["mlaudit_deployment"] for e in deployments]
    assert [(f["action"], f["model"]["version"], f.get("previousVersion")) for f in facets] == [
        ("deploy", v1, None),
        ("update", v2, v1),
        ("rollback", v1, v2),  # carol's rollback: the input is v1 although v2 is the latest
    ]
    for deployment, version in zip(deployments, (v1, v2, v1), strict=True):
        (model_input,) = [i for i in deployment["inputs"] if i["name"] == "breast_cancer_model"]
        assert model_input["facets"]["version"]["datasetVersion"] == version
    assert all(f["environment"] == "production" for f in facets)


def test_source_and_deletion(captured: Captured) -> None:
    (observed, *_) = of_kind(captured, "breast_cancer_source")
    (source,) = observed["inputs"]
    assert source["namespace"] == "file" and source["name"].endswith("breast_cancer.csv")
    raw = of_kind(captured, "raw_breast_cancer", "COMPLETE")[0]
    assert raw["inputs"][0]["name"] == source["name"]
    assert raw["inputs"][0]["facets"]["version"] == {
        **raw["inputs"][0]["facets"]["version"],
        "datasetVersion": source["facets"]["version"]["datasetVersion"],
    }
    (drop,) = of_kind(captured, "delete_dataset_job.delete_dataset")
    assert drop["run"]["facets"]["mlaudit_actor"]["name"] == pseudonym(captured, "dave")
    (output,) = drop["outputs"]
    assert (output["name"], output["facets"]["lifecycleStateChange"]["lifecycleStateChange"]) == (
        "raw_breast_cancer",
        "DROP",
    )


def test_definitions_wire_the_capture(captured: Captured, tmp_path: Path) -> None:
    defs = build_definitions(tmp_path, "sqlite:///" + str(tmp_path / "x.db"))
    assert defs.get_repository_def().has_sensor_def("mlaudit_capture")
    assert type(defs.resources["io_manager"]).__name__ == "AuditedIOManager"
    assert defs.resources["audit_store"].url == "sqlite:///" + str(tmp_path / "x.db")
