"""Look-ups in the instance's event log that the assets need (latest version, latest metadata)."""

from __future__ import annotations

from dagster import AssetKey, DagsterInstance, EventLogRecord

# Dagster's tag for an asset event's data version (dagster._core.definitions.data_version).
DATA_VERSION_TAG = "dagster/data_version"


def latest_materialization(instance: DagsterInstance, key: AssetKey) -> EventLogRecord | None:
    """The most recent materialization record of an asset, or None."""
    records = instance.fetch_materializations(key, limit=1, ascending=False).records
    return records[0] if records else None


def latest_data_version(instance: DagsterInstance, key: AssetKey) -> str | None:
    """The data version of an asset's most recent materialization, or None."""
    record = latest_materialization(instance, key)
    if record is None or record.asset_materialization is None:
        return None
    return record.asset_materialization.tags.get(DATA_VERSION_TAG)


def latest_metadata_text(instance: DagsterInstance, key: AssetKey, name: str) -> str | None:
    """A text metadata value of an asset's most recent materialization, or None."""
    record = latest_materialization(instance, key)
    if record is None or record.asset_materialization is None:
        return None
    entry = record.asset_materialization.metadata.get(name)
    return None if entry is None or entry.value is None else str(entry.value)
