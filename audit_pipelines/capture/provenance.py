"""Versions Dagster recorded: an asset event's data version, and the upstream data versions and
events a materialization consumed (its `dagster/input_*` provenance tags)."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import AssetKey, EventLogRecord

from audit_pipelines.capture.lookup import DagsterLookup
from audit_pipelines.capture.values import event_tags

DATA_VERSION_TAG = "dagster/data_version"
INPUT_VERSION_PREFIX = "dagster/input_data_version/"
INPUT_POINTER_PREFIX = "dagster/input_event_pointer/"

# An upstream asset's (data version, storage id of the upstream event); either may be unknown.
InputVersion = tuple[str | None, int | None]


def data_version(record: EventLogRecord | None) -> str | None:
    """The data version Dagster tagged an asset event with."""
    return event_tags(record).get(DATA_VERSION_TAG)


def input_versions(
    key: AssetKey, tags: Mapping[str, str], lookup: DagsterLookup
) -> dict[AssetKey, InputVersion]:
    """Upstream asset -> (data version, storage id of the upstream event) from Dagster's
    provenance tags on the materialization."""
    known = {parent.to_user_string(): parent for parent in lookup.parents(key)}
    found: dict[AssetKey, InputVersion] = {}
    for tag, value in tags.items():
        if not tag.startswith(INPUT_VERSION_PREFIX):
            continue
        user_key = tag[len(INPUT_VERSION_PREFIX) :]
        # The tag holds the user string: resolve it against the definitions' parents, because
        # `/` inside a key component makes the user string ambiguous.
        upstream = known.get(user_key) or AssetKey.from_user_string(user_key)
        pointer = tags.get(INPUT_POINTER_PREFIX + user_key)
        found[upstream] = (value or None, int(pointer) if pointer and pointer.isdigit() else None)
    return found
