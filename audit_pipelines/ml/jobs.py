"""The jobs ML engineers launch: train and evaluate, deploy."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from audit_pipelines.ml.datasets import dataset_assets
from audit_pipelines.ml.deployment import breast_cancer_deployment
from audit_pipelines.ml.evaluation import breast_cancer_evaluation
from audit_pipelines.ml.source import breast_cancer_source
from audit_pipelines.ml.training import breast_cancer_model

training_pipeline = define_asset_job(
    "training_pipeline",
    # Observing the source in the same run records the CSV version each dataset was built from.
    selection=AssetSelection.assets(
        breast_cancer_source.key,
        *dataset_assets,
        breast_cancer_model,
        breast_cancer_evaluation,
    ),
    description="Observe the source CSV, rebuild the datasets, train and evaluate the model.",
)

deploy_model = define_asset_job(
    "deploy_model",
    selection=AssetSelection.assets(breast_cancer_deployment),
    description="Put a model version live in an environment's serving registry.",
)
