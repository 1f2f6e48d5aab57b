"""The example ML project: ordinary Dagster assets, checks and jobs, with no audit code."""

from __future__ import annotations

from audit_pipelines.ml.datasets import dataset_assets
from audit_pipelines.ml.deployment import breast_cancer_deployment
from audit_pipelines.ml.evaluation import breast_cancer_evaluation, evaluation_checks
from audit_pipelines.ml.jobs import deploy_model, training_pipeline
from audit_pipelines.ml.maintenance import delete_dataset_job
from audit_pipelines.ml.purge import purge_project_data
from audit_pipelines.ml.source import breast_cancer_source
from audit_pipelines.ml.training import breast_cancer_model

ml_assets: list = [
    breast_cancer_source,
    *dataset_assets,
    breast_cancer_model,
    breast_cancer_evaluation,
    breast_cancer_deployment,
]
ml_asset_checks: list = list(evaluation_checks)
ml_jobs: list = [training_pipeline, deploy_model, delete_dataset_job, purge_project_data]

__all__ = ["ml_asset_checks", "ml_assets", "ml_jobs"]
