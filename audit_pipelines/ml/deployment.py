"""Deployment: puts one model version live in an environment's local serving registry."""

# No `from __future__ import annotations` in asset modules: Dagster reads the `config` and `context`
# annotations at definition time and rejects the strings PEP 563 turns them into.

import hashlib
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from audit_pipelines.ml.evaluation import breast_cancer_evaluation
from audit_pipelines.ml.records import latest_metadata_text
from audit_pipelines.ml.source import ASSET_GROUP
from audit_pipelines.ml.storage import MODEL_NAME, MLStorage

CURRENT_FILE = "current.json"
HISTORY_FILE = "history.jsonl"
ENVIRONMENT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class DeploymentConfig(Config):
    """Where to deploy, and which version: None is the version evaluated last."""

    environment: str = "production"
    model_version: str | None = None


def read_current(serving_dir: Path) -> dict[str, Any] | None:
    """The live deployment record of a serving folder, or None when nothing is live."""
    path = serving_dir / CURRENT_FILE
    return json.loads(path.read_text()) if path.exists() else None


def previously_live_versions(serving_dir: Path) -> set[str]:
    """Every version that has been live in this serving folder."""
    path = serving_dir / HISTORY_FILE
    if not path.exists():
        return set()
    return {json.loads(line)["version"] for line in path.read_text().splitlines() if line}


def deployment_action(chosen: str, live: str | None, earlier: set[str]) -> str:
    """deploy: nothing was live; rollback: the version was live before; update: anything else."""
    if live is None:
        return "deploy"
    if chosen != live and chosen in earlier:
        return "rollback"
    return "update"


def verified_artifact(ml_storage: MLStorage, version: str) -> Path:
    """The artifact of a version, after checking its bytes still hash to that version."""
    artifact = ml_storage.model_artifact_path(version)
    if not artifact.exists():
        raise FileNotFoundError(f"no artifact for model version {version!r} at {artifact}")
    if hashlib.sha256(artifact.read_bytes()).hexdigest()[:16] != version:
        raise ValueError(f"{artifact} does not hash to version {version!r}: it was altered")
    # Load it once: a version that does not deserialise must never become live.
    if not hasattr(joblib.load(artifact), "predict_proba"):
        raise ValueError(f"{artifact} is not a probabilistic classifier")
    return artifact


def write_json_atomically(path: Path, record: dict[str, Any]) -> None:
    """Replace a JSON file in one step, so the server never reads a half-written record."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    os.replace(partial, path)


def promote(serving_dir: Path, artifact: Path, record: dict[str, Any]) -> None:
    """Copy the artifact into the serving folder, then switch `current.json` and log the switch."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(artifact, serving_dir / artifact.name)
    write_json_atomically(serving_dir / CURRENT_FILE, record)
    with (serving_dir / HISTORY_FILE).open("a") as history:
        history.write(json.dumps(record, sort_keys=True) + "\n")


def chosen_version(context: AssetExecutionContext, config: DeploymentConfig) -> str:
    """The configured version, else the model version of the latest evaluation."""
    if config.model_version:
        return config.model_version
    version = latest_metadata_text(context.instance, breast_cancer_evaluation.key, "model_version")
    if version is None:
        raise RuntimeError("no evaluated model version to deploy; run training_pipeline first")
    return version


@asset(deps=[breast_cancer_evaluation], group_name=ASSET_GROUP, tags={"ml/role": "deployment"})
def breast_cancer_deployment(
    context: AssetExecutionContext, config: DeploymentConfig, ml_storage: MLStorage
) -> MaterializeResult:
    """The model version serving predictions in an environment (deploy, update or rollback)."""
    if not ENVIRONMENT_PATTERN.fullmatch(config.environment):
        raise ValueError(f"environment {config.environment!r} is not a plain folder name")
    version = chosen_version(context, config)
    artifact = verified_artifact(ml_storage, version)
    serving_dir = ml_storage.serving_dir(config.environment)
    current = read_current(serving_dir)
    previous = None if current is None else current["version"]
    action = deployment_action(version, previous, previously_live_versions(serving_dir))
    record = {
        "model": MODEL_NAME,
        "environment": config.environment,
        "version": version,
        "previous_version": previous,
        "action": action,
        "artifact": artifact.name,
        "deployed_at": datetime.now(UTC).isoformat(),
        "dagster_run_id": context.run_id,
    }
    promote(serving_dir, artifact, record)
    context.log.info(f"{action}: {MODEL_NAME} {previous} -> {version} in {config.environment}")
    return MaterializeResult(
        metadata={
            "environment": config.environment,
            "model_version": version,
            "previous_version": previous,
            "action": action,
            "target": MetadataValue.path(str(serving_dir)),
        }
    )
