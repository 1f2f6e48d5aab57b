"""The demo scenario end to end on a real instance, asserted from the instance's event log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    EventLogRecord,
)

from audit_pipelines.ml.source import breast_cancer_csv_path
from audit_pipelines.scenario import RAW_RETENTION_REASON, run_demo_scenario

# Output(data_version=...) and observable source assets are marked beta in Dagster 1.13.
pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")

CHECKS = {
    "accuracy_at_least_0_9": ("accuracy", AssetCheckSeverity.ERROR),
    "roc_auc_at_least_0_95": ("roc_auc", AssetCheckSeverity.WARN),
}


@dataclass(frozen=True)
class Scenario:
    home: Path
    instance: DagsterInstance
    run_ids: list[str]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """One scenario run shared by the module's tests (it takes a few seconds)."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        monkeypatch.delenv("MLAUDIT_HOME", raising=False)
        with DagsterInstance.get() as instance:
            yield Scenario(home, instance, run_demo_scenario(instance))


def materializations(scenario: Scenario, asset: str) -> list[EventLogRecord]:
    key = AssetKey(asset)
    return scenario.instance.fetch_materializations(key, limit=100, ascending=True).records


def metadata(record: EventLogRecord) -> dict[str, object]:
    event = record.asset_materialization or record.asset_observation
    return {name: entry.value for name, entry in event.metadata.items()}


def model_versions(scenario: Scenario) -> list[str]:
    return [
        record.asset_materialization.tags["dagster/data_version"]
        for record in materializations(scenario, "breast_cancer_model")
    ]


def test_six_runs_by_the_four_people_all_succeed(scenario: Scenario) -> None:
    runs = [scenario.instance.get_run_by_id(run_id) for run_id in scenario.run_ids]
    assert [(run.job_name, run.tags["dagster/user"]) for run in runs] == [
        ("training_pipeline", "alice"),
        ("deploy_model", "alice"),
        ("training_pipeline", "bob"),
        ("deploy_model", "bob"),
        ("deploy_model", "carol"),
        ("delete_dataset_job", "dave"),
    ]
    assert all(run.status == DagsterRunStatus.SUCCESS for run in runs)


def test_source_observations_carry_the_csv_hash_into_the_raw_dataset(scenario: Scenario) -> None:
    sha = hashlib.sha256(breast_cancer_csv_path().read_bytes()).hexdigest()
    observations = scenario.instance.fetch_observations(
        AssetKey("breast_cancer_source"), limit=10, ascending=True
    ).records
    assert [record.run_id for record in observations] == [
        scenario.run_ids[0],
        scenario.run_ids[2],
    ]
    assert {record.asset_observation.tags["dagster/data_version"] for record in observations} == {
        sha
    }
    for record in materializations(scenario, "raw_breast_cancer"):
        tags = record.asset_materialization.tags
        assert tags["dagster/input_data_version/breast_cancer_source"] == sha


def test_bobs_training_data_is_a_new_dataset_version(scenario: Scenario) -> None:
    alice, bob = materializations(scenario, "clean_breast_cancer")
    assert (
        alice.asset_materialization.tags["dagster/data_version"]
        != (bob.asset_materialization.tags["dagster/data_version"])
    )
    assert metadata(bob)["dagster/row_count"] < metadata(alice)["dagster/row_count"]


def test_two_distinct_model_versions_with_their_training_metadata(scenario: Scenario) -> None:
    v1, v2 = materializations(scenario, "breast_cancer_model")
    assert len(set(model_versions(scenario))) == 2
    assert metadata(v1)["algorithm"] == "logistic_regression"
    assert metadata(v1)["architecture"] == "LogisticRegression(penalty=l2)"
    assert metadata(v1)["hyperparameters"] == {"C": 1.0, "max_iter": 1000, "random_state": 0}
    assert metadata(v2)["algorithm"] == "random_forest"
    assert metadata(v2)["architecture"] == "RandomForestClassifier(n_estimators=200, max_depth=6)"
    assert metadata(v2)["hyperparameters"] == {
        "n_estimators": 200,
        "max_depth": 6,
        "random_state": 0,
    }
    for record, version in zip((v1, v2), model_versions(scenario), strict=True):
        artifact = Path(str(metadata(record)["artifact_path"]))
        assert artifact.name == f"breast_cancer_model-{version}.joblib"
        assert hashlib.sha256(artifact.read_bytes()).hexdigest()[:16] == version


def test_each_evaluation_names_the_model_version_it_evaluated(scenario: Scenario) -> None:
    evaluations = materializations(scenario, "breast_cancer_evaluation")
    assert [metadata(record)["model_version"] for record in evaluations] == model_versions(scenario)
    for record in evaluations:
        values = metadata(record)
        assert values["split"] == "test"
        for name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
            assert isinstance(values[name], float)
            assert 0.0 <= values[name] <= 1.0
        assert values["accuracy"] > 0.9


def test_asset_check_results_are_recorded_with_their_metric(scenario: Scenario) -> None:
    for run_id, evaluation in zip(
        scenario.run_ids[0:3:2], materializations(scenario, "breast_cancer_evaluation"), strict=True
    ):
        events = scenario.instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
        results = {
            event.dagster_event.event_specific_data.check_name: (
                event.dagster_event.event_specific_data
            )
            for event in events
        }
        assert set(results) == set(CHECKS)
        for name, (metric, severity) in CHECKS.items():
            assert results[name].passed
            assert results[name].severity == severity
            assert results[name].metadata[metric].value == metadata(evaluation)[metric]


def test_deployments_deploy_update_and_roll_back(scenario: Scenario) -> None:
    v1, v2 = model_versions(scenario)
    deployments = materializations(scenario, "breast_cancer_deployment")
    assert [record.run_id for record in deployments] == [scenario.run_ids[i] for i in (1, 3, 4)]
    assert [
        (values["action"], values["model_version"], values["previous_version"])
        for values in map(metadata, deployments)
    ] == [("deploy", v1, None), ("update", v2, v1), ("rollback", v1, v2)]
    assert {metadata(record)["environment"] for record in deployments} == {"production"}


def test_serving_registry_ends_on_v1(scenario: Scenario) -> None:
    v1, v2 = model_versions(scenario)
    serving = scenario.home / "serving" / "production" / "breast_cancer_model"
    current = json.loads((serving / "current.json").read_text())
    assert (current["version"], current["previous_version"]) == (v1, v2)
    assert (serving / f"breast_cancer_model-{v1}.joblib").is_file()
    assert current["deployed_at"]


def test_raw_dataset_is_deleted_and_the_deletion_is_observed(scenario: Scenario) -> None:
    storage = scenario.home / "storage"
    assert not (storage / "raw_breast_cancer").exists()
    assert (storage / "clean_breast_cancer").is_file()
    [deletion] = scenario.instance.fetch_observations(
        AssetKey("raw_breast_cancer"), limit=10
    ).records
    assert deletion.run_id == scenario.run_ids[5]
    assert metadata(deletion)["lifecycle_state"] == "DROP"
    assert metadata(deletion)["reason"] == RAW_RETENTION_REASON
