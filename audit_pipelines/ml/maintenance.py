"""Data maintenance: deleting an asset's stored value and reporting the deletion to Dagster."""

# No `from __future__ import annotations` in asset modules: Dagster reads the `config` and `context`
# annotations at definition time and rejects the strings PEP 563 turns them into.

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
    path.unlink()
    context.log.info(f"deleted {path}: {config.reason}")
    context.log_event(
        AssetObservation(
            asset_key=key,
            metadata={
                "lifecycle_state": "DROP",
                "reason": config.reason,
                "deleted_path": MetadataValue.path(str(path)),
            },
        )
    )


@job(tags={"ml/role": "maintenance"})
def delete_dataset_job() -> None:
    """Delete one asset's stored value (retention, erasure requests) and report it."""
    delete_dataset()
