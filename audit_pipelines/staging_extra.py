"""Releases and a purge that the governance and anomaly reviews should judge, beyond the demo's
staged incidents (audit_pipelines/staging.py). Real Dagster runs of the example project:

- a model's history: versions trained and evaluated with sound configurations;
- a release: a version whose evaluation passed, deployed to production (nothing to find);
- a weak release: a version trained with a single-stump boosted model, whose release gate
  (`accuracy_at_least_0_9`) failed, deployed to production anyway:
  policy.deployed_without_evaluation, policy.metric_below_threshold (with thresholds configured),
  policy.metric_regression, anomaly.metric_drop_at_deploy;
- a purge: every stored dataset value and model artifact deleted in one run:
  anomaly.mass_deletion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, Definitions

from audit_pipelines.definitions import build_definitions
from audit_pipelines.ml.deployment import DeploymentConfig
from audit_pipelines.ml.purge import PurgeConfig
from audit_pipelines.ml.training import ModelConfig
from audit_pipelines.scenario import current_model_version, launch

# Logistic regressions of different strength: test accuracy 0.96-0.98, ROC AUC above 0.99.
SOUND_MODELS = (ModelConfig(C=1.0), ModelConfig(C=0.3), ModelConfig(C=3.0))
RELEASE_MODEL = ModelConfig(C=0.5)
# One boosting stage of depth one: accuracy about 0.63, ROC AUC about 0.86.
WEAK_MODEL = ModelConfig(algorithm="gradient_boosting", n_estimators=1, max_depth=1)
PRODUCTION = DeploymentConfig(environment="production")
PURGE_REASON = "decommission: the screening project's data is no longer needed"


@dataclass(frozen=True)
class Release:
    version: str
    training_run: str
    deploy_run: str


def staging_definitions(home: Path, store_url: str) -> Definitions:
    """The code location's definitions (the purge job is one of the project's jobs)."""
    return build_definitions(home, store_url)


def train(defs: Definitions, instance: DagsterInstance, user: str, model: ModelConfig) -> str:
    """Rebuild the datasets, train and evaluate a model as `user`; return the model version."""
    launch(defs, instance, "training_pipeline", user, {"breast_cancer_model": model})
    return current_model_version(instance)


def release(defs: Definitions, instance: DagsterInstance, user: str, model: ModelConfig) -> Release:
    """Train and evaluate a version, then deploy it to production whatever its evaluation said
    (the deploy job deploys the latest evaluated version)."""
    training = launch(defs, instance, "training_pipeline", user, {"breast_cancer_model": model})
    version = current_model_version(instance)
    deploy = launch(defs, instance, "deploy_model", user, {"breast_cancer_deployment": PRODUCTION})
    return Release(version, training, deploy)


def purge(defs: Definitions, instance: DagsterInstance, user: str) -> str:
    """Delete every stored dataset value and model artifact as `user`; return the run id."""
    config = {"purge_stored_data": PurgeConfig(reason=PURGE_REASON)}
    return launch(defs, instance, "purge_project_data", user, config)


def write_metric_thresholds(home: Path, limits: Mapping[str, float]) -> Path:
    """A review.toml setting `[policies.metric_threshold]`, where the reviews look for it."""
    pairs = ", ".join(f"{name} = {limit!r}" for name, limit in sorted(limits.items()))
    path = home / "review.toml"
    path.write_text(f"[policies.metric_threshold]\nmetrics = {{ {pairs} }}\n")
    return path
