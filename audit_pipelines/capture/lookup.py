"""What the mapper asks of Dagster beyond the record itself: the run it belongs to, the asset
definitions (roles, parents, URIs) and the immutable records it points at. Cached per capture
tick, because runs and definitions can change between ticks."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    EventLogEntry,
    EventLogRecord,
    RepositoryDefinition,
)

from audit_pipelines.capture.naming import DatasetName, dataset_for_asset, uri_from_metadata
from audit_pipelines.capture.values import event_metadata, json_safe

ROLE_TAG = "ml/role"
SYSTEM_TAG_PREFIXES = ("dagster/", "dagster-", ".")
# Run tags Dagster adds or changes after a run started (retries, launcher bookkeeping). Putting
# them in an event would make a replay's bytes depend on when it happened; hidden `.`-tags too.
VOLATILE_RUN_TAGS = frozenset(
    {"dagster/will_retry", "dagster/auto_retry_run_id", "dagster/failure_reason"}
)


@dataclass(frozen=True)
class RunInfo:
    """The Dagster run a record belongs to ("" run id for runless events)."""

    run_id: str
    job_name: str | None
    tags: dict[str, str]
    run_config: dict[str, Any]


class DagsterLookup:
    """Cached reads the mapping needs; one per capture tick (runs and definitions can change)."""

    def __init__(self, instance: DagsterInstance, repository_def: RepositoryDefinition | None):
        self.instance = instance
        self._graph = repository_def.asset_graph if repository_def is not None else None
        self._runs: dict[str, RunInfo] = {}
        self._recorded: dict[tuple[AssetKey, int], EventLogRecord | None] = {}
        self._checks: dict[str, list[EventLogRecord]] = {}

    def run_info(self, entry: EventLogEntry) -> RunInfo:
        run_id = entry.run_id or ""
        if run_id not in self._runs:
            self._runs[run_id] = self._load_run(run_id, entry.job_name or None)
        return self._runs[run_id]

    def _load_run(self, run_id: str, job_name: str | None) -> RunInfo:
        run = self.instance.get_run_by_id(run_id) if run_id else None
        if run is None:  # runless event, or a run deleted since
            return RunInfo(run_id, job_name, {}, {})
        tags = {
            key: str(value)
            for key, value in sorted(run.tags.items())
            if key not in VOLATILE_RUN_TAGS and not key.startswith(".")
        }
        return RunInfo(run_id, job_name or run.job_name, tags, json_safe(run.run_config) or {})

    def _node(self, key: AssetKey) -> Any | None:
        if self._graph is None or not self._graph.has(key):
            return None
        return self._graph.get(key)

    def role(self, key: AssetKey) -> str | None:
        node = self._node(key)
        return None if node is None else (node.tags or {}).get(ROLE_TAG)

    def asset_tags(self, key: AssetKey) -> dict[str, str]:
        """The definition's own tags (e.g. `personal_data`), without Dagster's system tags and
        the role tag, which the capture already expresses in other facets."""
        node = self._node(key)
        tags = (node.tags or {}) if node is not None else {}
        return {
            name: str(value)
            for name, value in sorted(tags.items())
            if name != ROLE_TAG and not name.startswith(SYSTEM_TAG_PREFIXES)
        }

    def parents(self, key: AssetKey) -> list[AssetKey]:
        node = self._node(key)
        return [] if node is None else sorted(node.parent_keys, key=lambda k: k.to_string())

    def nearest_upstream(self, key: AssetKey, role: str) -> AssetKey | None:
        """The closest ancestor with the role (breadth first, ties by key): e.g. the model a
        deployment deploys, reached through the evaluation it depends on."""
        seen, queue = {key}, deque(self.parents(key))
        while queue:
            candidate = queue.popleft()
            if candidate in seen:
                continue
            seen.add(candidate)
            if self.role(candidate) == role:
                return candidate
            queue.extend(self.parents(candidate))
        return None

    def asset_dataset(
        self, key: AssetKey, metadata: Mapping[str, Any] | None = None
    ) -> DatasetName:
        """Dataset of an asset: `dagster/uri` of the event itself, else of the definition."""
        node = self._node(key)
        uri = uri_from_metadata(metadata) or uri_from_metadata(node.metadata if node else None)
        return dataset_for_asset(key, uri)

    def recorded_event(self, key: AssetKey, storage_id: int) -> EventLogRecord | None:
        """The materialization or observation with that storage id (immutable, so cacheable)."""
        if (key, storage_id) not in self._recorded:
            self._recorded[(key, storage_id)] = self._fetch_by_id(key, storage_id)
        return self._recorded[(key, storage_id)]

    def _fetch_by_id(self, key: AssetKey, storage_id: int) -> EventLogRecord | None:
        records_filter = AssetRecordsFilter(asset_key=key, storage_ids=[storage_id])
        for fetch in (self.instance.fetch_materializations, self.instance.fetch_observations):
            records = fetch(records_filter, limit=1).records
            if records:
                return records[0]
        return None

    def pointed_dataset(self, key: AssetKey, storage_id: int | None) -> DatasetName:
        """Dataset of an input: named as the exact upstream event it points at named it."""
        record = self.recorded_event(key, storage_id) if storage_id is not None else None
        return self.asset_dataset(key, event_metadata(record) if record else None)

    def check_records(self, run_id: str) -> list[EventLogRecord]:
        """The asset check evaluations of a run. There is no `fetch_*` for them in 1.13, and on
        the default SQLite instance they are not in the cross-run asset index the streams read,
        so they are read per run (storage ids here are the run shard's, never used as cursors)."""
        if run_id not in self._checks:
            connection = self.instance.get_records_for_run(
                run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, ascending=True
            )
            self._checks[run_id] = list(connection.records)
        return self._checks[run_id]
