"""Purging the project's stored data: every dataset value the IO manager holds and every model
artifact, each deletion reported to Dagster as a DROP observation. The bulk counterpart of
`delete_dataset_job` (decommissioning a project, or an erasure that covers everything); who runs
it, and how often, is what the audit's mass-deletion review looks at."""

# No `from __future__ import annotations` in asset modules: Dagster reads the `config` and `context`
# annotations at definition time and rejects the strings PEP 563 turns them into.

from pathlib import Path

from dagster import AssetKey, Config, Failure, OpExecutionContext, job, op

from audit_pipelines.ml.maintenance import report_deletion
from audit_pipelines.ml.storage import MODEL_NAME, MLStorage
from audit_pipelines.ml.training import MODEL_KEY


class PurgeConfig(Config):
    """Why everything is deleted (kept in the record with each deletion)."""

    reason: str


def stored_values(ml_storage: MLStorage) -> list[tuple[AssetKey, Path]]:
    """Each asset's stored value under the IO manager's folder, by asset key."""
    base = ml_storage.io_manager_dir
    if not base.is_dir():
        return []
    files = sorted(p for p in base.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [(AssetKey(list(p.relative_to(base).parts)), p) for p in files]


def model_artifacts(ml_storage: MLStorage) -> list[Path]:
    """Every model version's artifact file."""
    folder = ml_storage.model_artifact_dir
    return sorted(folder.glob(f"{MODEL_NAME}-*.joblib")) if folder.is_dir() else []


@op
def purge_stored_data(
    context: OpExecutionContext, config: PurgeConfig, ml_storage: MLStorage
) -> None:
    """Delete every stored dataset value and model artifact, one DROP observation each."""
    if not config.reason.strip():
        raise Failure("a purge needs a reason for the record")
    values, artifacts = stored_values(ml_storage), model_artifacts(ml_storage)
    if not values and not artifacts:
        raise Failure(f"nothing stored under {ml_storage.root} to purge")
    for key, path in values:
        report_deletion(context, key, path, config.reason)
    # An artifact is one model version's file: named by its own URI, not as the model asset.
    for path in artifacts:
        report_deletion(context, MODEL_KEY, path, config.reason, uri=path.as_uri())
    context.log.info(f"purged {len(values)} stored values and {len(artifacts)} model artifacts")


@job(tags={"ml/role": "maintenance"})
def purge_project_data() -> None:
    """Delete all of the project's stored data and report each deletion."""
    purge_stored_data()
