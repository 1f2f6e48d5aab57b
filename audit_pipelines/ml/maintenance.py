"""Data maintenance: deleting an asset's stored value and reporting the deletion to Dagster."""

# No `from __future__ import annotations` in asset modules: Dagster reads the `config` and `context`
# annotations at definition time and rejects the strings PEP 563 turns them into.

from pathlib import Path

from dagster import (
    AssetKey,
    AssetObservation,
    Config,
    Failure,
    MetadataValue,
    OpExecutionContext,
    job,
    op,
)

from audit_pipelines.ml.storage import MLStorage


class DeleteDatasetConfig(Config):
    """Which asset's stored value to delete (e.g. `raw_breast_cancer` or `a/b`), and why."""

    asset_key: str
    reason: str


@op
def delete_dataset(
    context: OpExecutionContext, config: DeleteDatasetConfig, ml_storage: MLStorage
) -> None:
    """Delete the file the IO manager stored for an asset and record a DROP observation."""
    if not config.reason.strip():
        raise Failure("a deletion needs a reason for the record")
    key = AssetKey.from_user_string(config.asset_key)
    path = ml_storage.stored_value_path(key)
    if not path.is_file():
        # Reporting a DROP of nothing would put a false deletion in the record.
        raise Failure(f"no stored value of {key.to_user_string()} at {path}")
    report_deletion(context, key, path, config.reason)


def report_deletion(
    context: OpExecutionContext, key: AssetKey, path: Path, reason: str, uri: str | None = None
) -> None:
    """Delete a file holding data of `key` and report a DROP observation of it; `uri` names the
    dataset (Dagster's `dagster/uri`) when the file is not the asset's own stored value."""
    path.unlink()
    context.log.info(f"deleted {path}: {reason}")
    metadata: dict[str, str | MetadataValue] = {
        "lifecycle_state": "DROP",
        "reason": reason,
        "deleted_path": MetadataValue.path(str(path)),
    }
    if uri is not None:
        metadata["dagster/uri"] = uri
    context.log_event(AssetObservation(asset_key=key, metadata=metadata))


@job(tags={"ml/role": "maintenance"})
def delete_dataset_job() -> None:
    """Delete one asset's stored value (retention, erasure requests) and report it."""
    delete_dataset()
