"""The demo scenario: four people train, deploy, roll back and delete, leaving history to audit.

Run it against the instance in `DAGSTER_HOME` with `python -m audit_pipelines.scenario`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import Config, DagsterInstance, Definitions, RunConfig

from audit_pipelines.ml import ml_asset_checks, ml_assets, ml_jobs
from audit_pipelines.ml.datasets import CleanConfig
from audit_pipelines.ml.deployment import DeploymentConfig
from audit_pipelines.ml.maintenance import DeleteDatasetConfig
from audit_pipelines.ml.records import latest_data_version
from audit_pipelines.ml.storage import default_resources, ml_home
from audit_pipelines.ml.training import MODEL_KEY, ModelConfig

USER_TAG = "dagster/user"
RAW_RETENTION_REASON = "retention: raw copy no longer needed"


# The demo prints a trace; step-by-step debug logs would bury it (they stay in the event log).
CONSOLE_WARNINGS_ONLY = {"console": {"config": {"log_level": "WARNING"}}}


def scenario_definitions(resources: Mapping[str, Any]) -> Definitions:
    """The example project's assets, checks and jobs bound to the given resources."""
    return Definitions(
        assets=ml_assets, asset_checks=ml_asset_checks, jobs=ml_jobs, resources=dict(resources)
    )


def launch(
    defs: Definitions, instance: DagsterInstance, job: str, user: str, ops: dict[str, Config]
) -> str:
    """Run a job in process on the instance as `user`; return the Dagster run id."""
    result = defs.resolve_job_def(job).execute_in_process(
        run_config=RunConfig(ops=ops, loggers=CONSOLE_WARNINGS_ONLY),
        instance=instance,
        tags={USER_TAG: user},
    )
    return result.run_id


def current_model_version(instance: DagsterInstance) -> str:
    """The data version of the model's latest materialization."""
    version = latest_data_version(instance, MODEL_KEY)
    if version is None:
        raise RuntimeError("the training run recorded no model version")
    return version


def run_demo_scenario(
    instance: DagsterInstance,
    *,
    resources: Mapping[str, Any] | None = None,
    home: Path | None = None,
) -> list[str]:
    """Run the demo's six runs on `instance`; return their Dagster run ids in order.

    `resources` override the pipeline's defaults (e.g. an audited `io_manager`); files go under
    `home`, else `MLAUDIT_HOME`/`DAGSTER_HOME`, else the instance's root directory.
    """
    home = Path(home) if home is not None else ml_home(Path(instance.root_directory))
    defs = scenario_definitions({**default_resources(home), **(resources or {})})
    run_ids: list[str] = []

    # a. alice builds the datasets and trains and evaluates v1.
    alice_model = ModelConfig(algorithm="logistic_regression", C=1.0)
    run_ids.append(
        launch(defs, instance, "training_pipeline", "alice", {"breast_cancer_model": alice_model})
    )
    v1 = current_model_version(instance)
    # b. alice deploys v1 to production.
    production = DeploymentConfig(environment="production")
    run_ids.append(
        launch(defs, instance, "deploy_model", "alice", {"breast_cancer_deployment": production})
    )
    # c. bob changes the training data, trains and evaluates v2, and deploys it.
    bob_training = {
        "clean_breast_cancer": CleanConfig(drop_outliers_zscore=3.0, sample_fraction=0.9),
        "breast_cancer_model": ModelConfig(
            algorithm="random_forest", n_estimators=200, max_depth=6
        ),
    }
    run_ids.append(launch(defs, instance, "training_pipeline", "bob", bob_training))
    run_ids.append(
        launch(defs, instance, "deploy_model", "bob", {"breast_cancer_deployment": production})
    )
    # d. carol rolls production back to v1.
    rollback = DeploymentConfig(environment="production", model_version=v1)
    run_ids.append(
        launch(defs, instance, "deploy_model", "carol", {"breast_cancer_deployment": rollback})
    )
    # e. dave deletes the stored raw dataset under the retention policy.
    deletion = DeleteDatasetConfig(asset_key="raw_breast_cancer", reason=RAW_RETENTION_REASON)
    run_ids.append(
        launch(defs, instance, "delete_dataset_job", "dave", {"delete_dataset": deletion})
    )
    return run_ids


def main() -> None:
    """Run the scenario against the instance of `DAGSTER_HOME` and print the run ids."""
    with DagsterInstance.get() as instance:
        for run_id in run_demo_scenario(instance):
            print(run_id)


if __name__ == "__main__":
    main()
