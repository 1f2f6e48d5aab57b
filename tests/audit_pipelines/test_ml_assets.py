"""The example ML project on real Dagster: assets called directly, then the graph on an instance."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import joblib
import pandas as pd
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    RunConfig,
    build_asset_context,
    materialize,
)

from audit_pipelines.ml import ml_asset_checks, ml_assets, ml_jobs
from audit_pipelines.ml.datasets import (
    LABEL_COLUMN,
    SPLIT_COLUMN,
    CleanConfig,
    FeaturesConfig,
    breast_cancer_features,
    clean_breast_cancer,
    feature_columns,
    frame_version,
    raw_breast_cancer,
)
from audit_pipelines.ml.deployment import DeploymentConfig, breast_cancer_deployment
from audit_pipelines.ml.deployment import deployment_action as action_for
from audit_pipelines.ml.evaluation import classification_metrics
from audit_pipelines.ml.maintenance import DeleteDatasetConfig
from audit_pipelines.ml.records import latest_data_version
from audit_pipelines.ml.source import breast_cancer_csv_path, breast_cancer_source, file_sha256
from audit_pipelines.ml.storage import MLStorage, default_resources
from audit_pipelines.ml.training import ModelConfig, breast_cancer_model

# Output(data_version=...) and observable source assets are marked beta in Dagster 1.13.
pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")

TRAINING_ASSETS = [asset for asset in ml_assets if asset is not breast_cancer_deployment]


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return raw_breast_cancer().value


@pytest.fixture(scope="module")
def features(raw: pd.DataFrame) -> pd.DataFrame:
    clean = clean_breast_cancer(config=CleanConfig(), raw_breast_cancer=raw).value
    return breast_cancer_features(config=FeaturesConfig(), clean_breast_cancer=clean).value


def test_source_is_the_bundled_csv_versioned_by_its_sha256() -> None:
    path = breast_cancer_csv_path()
    result = breast_cancer_source.observe_fn()
    assert path.is_file()
    assert result.data_version.value == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.data_version.value == file_sha256(path)
    assert breast_cancer_source.metadata["dagster/uri"].value == path.as_uri()
    assert breast_cancer_source.tags == {"ml/role": "source"}


def test_raw_table_has_every_row_and_a_content_version(raw: pd.DataFrame) -> None:
    output = raw_breast_cancer()
    assert raw.shape == (569, 31)
    assert set(raw["target"]) == {0, 1}
    assert output.data_version.value == frame_version(raw)
    assert output.metadata["dagster/row_count"].value == 569


def test_changed_clean_config_changes_the_dataset_version(raw: pd.DataFrame) -> None:
    default = clean_breast_cancer(config=CleanConfig(), raw_breast_cancer=raw)
    changed = clean_breast_cancer(
        config=CleanConfig(drop_outliers_zscore=3.0, sample_fraction=0.9), raw_breast_cancer=raw
    )
    again = clean_breast_cancer(
        config=CleanConfig(drop_outliers_zscore=3.0, sample_fraction=0.9), raw_breast_cancer=raw
    )
    assert len(changed.value) < len(default.value)
    assert changed.metadata["outlier_rows"].value > 0
    assert changed.data_version != default.data_version
    assert again.data_version == changed.data_version


def test_clean_rejects_an_impossible_sample_fraction(raw: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="sample_fraction"):
        clean_breast_cancer(config=CleanConfig(sample_fraction=1.5), raw_breast_cancer=raw)


def test_features_are_standardised_on_train_rows_with_a_stratified_split(
    features: pd.DataFrame,
) -> None:
    train = features[features[SPLIT_COLUMN] == "train"]
    test = features[features[SPLIT_COLUMN] == "test"]
    assert len(train) + len(test) == 569
    assert len(test) == pytest.approx(0.25 * 569, abs=1)
    assert train[feature_columns(train)].mean().abs().max() < 1e-9
    assert train[LABEL_COLUMN].mean() == pytest.approx(test[LABEL_COLUMN].mean(), abs=0.02)


@pytest.mark.parametrize(
    ("config", "architecture", "hyperparameters"),
    [
        (
            ModelConfig(algorithm="logistic_regression", C=0.5),
            "LogisticRegression(penalty=l2)",
            {"C": 0.5, "max_iter": 1000, "random_state": 0},
        ),
        (
            ModelConfig(algorithm="random_forest", n_estimators=50, max_depth=4),
            "RandomForestClassifier(n_estimators=50, max_depth=4)",
            {"n_estimators": 50, "max_depth": 4, "random_state": 0},
        ),
        (
            ModelConfig(algorithm="gradient_boosting", n_estimators=30, learning_rate=0.2),
            "GradientBoostingClassifier(n_estimators=30, max_depth=3)",
            {"n_estimators": 30, "max_depth": 3, "learning_rate": 0.2, "random_state": 0},
        ),
    ],
)
def test_model_saves_an_artifact_named_by_its_content_hash(
    tmp_path: Path,
    features: pd.DataFrame,
    config: ModelConfig,
    architecture: str,
    hyperparameters: dict[str, object],
) -> None:
    storage = MLStorage(home=str(tmp_path))
    output = breast_cancer_model(config=config, breast_cancer_features=features, ml_storage=storage)
    version = output.data_version.value
    artifact = storage.model_artifact_path(version)
    assert hashlib.sha256(artifact.read_bytes()).hexdigest()[:16] == version
    assert output.metadata["artifact_path"].value == str(artifact)
    assert output.metadata["algorithm"].value == config.algorithm
    assert output.metadata["architecture"].value == architecture
    assert output.metadata["framework"].value == "scikit-learn 1.9.1"
    assert output.metadata["hyperparameters"].value == hyperparameters
    metrics = classification_metrics(joblib.load(artifact), features[features["split"] == "test"])
    assert metrics["accuracy"] > 0.9
    # Same data and config, same bytes: retraining does not invent a new version.
    retrained = breast_cancer_model(
        config=config, breast_cancer_features=features, ml_storage=storage
    )
    assert retrained.data_version.value == version


def test_unknown_algorithm_is_refused(tmp_path: Path, features: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="unknown algorithm"):
        breast_cancer_model(
            config=ModelConfig(algorithm="svm"),
            breast_cancer_features=features,
            ml_storage=MLStorage(home=str(tmp_path)),
        )


@pytest.mark.parametrize(
    ("chosen", "live", "earlier", "expected"),
    [
        ("v1", None, set(), "deploy"),
        ("v2", "v1", {"v1"}, "update"),
        ("v1", "v2", {"v1", "v2"}, "rollback"),
        ("v2", "v2", {"v1", "v2"}, "update"),
    ],
)
def test_deployment_action(chosen: str, live: str | None, earlier: set[str], expected: str) -> None:
    assert action_for(chosen, live, earlier) == expected


def test_storage_refuses_asset_keys_outside_its_folder(tmp_path: Path) -> None:
    storage = MLStorage(home=str(tmp_path))
    assert storage.stored_value_path(AssetKey(["a", "b"])) == tmp_path / "storage" / "a" / "b"
    with pytest.raises(ValueError, match="outside"):
        storage.stored_value_path(AssetKey(["..", "dagster.yaml"]))


def test_training_graph_materializes_with_checks_and_model_provenance(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [*TRAINING_ASSETS, *ml_asset_checks],
        instance=instance,
        resources=default_resources(tmp_path),
        tags={"dagster/user": "tester"},
    )
    assert result.success
    model_version = latest_data_version(instance, breast_cancer_model.key)
    [evaluation] = result.asset_materializations_for_node("breast_cancer_evaluation")
    assert evaluation.metadata["model_version"].value == model_version
    # Dagster's own input provenance agrees with the version the evaluation reports.
    assert evaluation.tags["dagster/input_data_version/breast_cancer_model"] == model_version
    assert evaluation.metadata["split"].value == "test"
    checks = result.get_asset_check_evaluations()
    assert {check.check_name for check in checks} == {
        "accuracy_at_least_0_9",
        "roc_auc_at_least_0_95",
    }
    assert all(check.passed for check in checks)


def test_deployment_refuses_missing_or_altered_artifacts(tmp_path: Path) -> None:
    storage = MLStorage(home=str(tmp_path))
    context = build_asset_context(instance=DagsterInstance.ephemeral())
    with pytest.raises(FileNotFoundError):
        breast_cancer_deployment(
            context=context, config=DeploymentConfig(model_version="0" * 16), ml_storage=storage
        )
    altered = storage.model_artifact_path("1" * 16)
    altered.parent.mkdir(parents=True)
    altered.write_bytes(b"not the model that was evaluated")
    with pytest.raises(ValueError, match="altered"):
        breast_cancer_deployment(
            context=context, config=DeploymentConfig(model_version="1" * 16), ml_storage=storage
        )
    assert not storage.serving_dir("production").exists()


def test_jobs_deploy_and_delete_on_a_persistent_instance(
    dagster_home: Path, dagster_instance: DagsterInstance
) -> None:
    defs = Definitions(
        assets=ml_assets,
        asset_checks=ml_asset_checks,
        jobs=ml_jobs,
        resources=default_resources(dagster_home),
    )
    assert (
        defs.resolve_job_def("training_pipeline")
        .execute_in_process(instance=dagster_instance)
        .success
    )
    assert (
        defs.resolve_job_def("deploy_model").execute_in_process(instance=dagster_instance).success
    )
    current = json.loads(
        (dagster_home / "serving/production/breast_cancer_model/current.json").read_text()
    )
    assert current["version"] == latest_data_version(dagster_instance, breast_cancer_model.key)
    assert current["previous_version"] is None

    stored = dagster_home / "storage" / "clean_breast_cancer"
    assert stored.is_file()
    delete = defs.resolve_job_def("delete_dataset_job")
    config = RunConfig(
        ops={"delete_dataset": DeleteDatasetConfig(asset_key="clean_breast_cancer", reason="test")}
    )
    assert delete.execute_in_process(run_config=config, instance=dagster_instance).success
    assert not stored.exists()
    # Deleting again finds nothing and must not report a second DROP.
    again = delete.execute_in_process(
        run_config=config, instance=dagster_instance, raise_on_error=False
    )
    assert not again.success
    observations = dagster_instance.fetch_observations(
        AssetKey("clean_breast_cancer"), limit=10
    ).records
    assert len(observations) == 1
    metadata = observations[0].asset_observation.metadata
    assert metadata["lifecycle_state"].value == "DROP"
    assert metadata["reason"].value == "test"
