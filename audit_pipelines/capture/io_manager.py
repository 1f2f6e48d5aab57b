"""The audited IO manager: wraps the pipeline's real IO manager and records every read.

`load_input` delegates, then records the read as an `AssetObservation` of the upstream asset
through the public `InputContext.add_input_metadata`: inside a step, Dagster turns that metadata
into an observation event in the run's event log right away (and also shows it on the
LOADED_INPUT event). Reads therefore travel through the event log and reach the audit store through
the same capture sensor as everything else; the assets themselves contain no audit code.
"""

# No `from __future__ import annotations` here: Dagster reads the `ResourceDependency[...]`
# annotation of the resource class at definition time, and a PEP 563 string hides it (the nested
# IO manager is then rejected as "not a ResourceDependency").

import logging
from typing import Any

from dagster import (
    AssetObservation,
    ConfigurableIOManagerFactory,
    InitResourceContext,
    InputContext,
    IOManager,
    OutputContext,
    ResourceDependency,
)

log = logging.getLogger(__name__)

# Metadata of a read observation; the capture mapper reads the same keys.
ACCESS_KEY = "access"
READ_ACCESS = "read"
READER_KEY = "reader"  # the step that read (its key), or "outside a run"
READER_ASSETS_KEY = "reader_assets"  # the assets that step produces, as user strings
DATA_VERSION_KEY = "data_version"  # the upstream data version the step loaded
UPSTREAM_STORAGE_ID_KEY = "upstream_storage_id"  # storage id of the upstream event loaded
OUTSIDE_RUN_READER = "outside a run"


class ReadRecordingIOManager(IOManager):
    """Delegates to another IO manager; every `load_input` of an asset is recorded as a read."""

    def __init__(self, inner: IOManager) -> None:
        self._inner = inner

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        self._inner.handle_output(context, obj)

    def load_input(self, context: InputContext) -> Any:
        value = self._inner.load_input(context)
        # Record only reads that succeeded: a failed load read nothing.
        if context.has_asset_key:
            record_read(context)
        return value


class AuditedIOManager(ConfigurableIOManagerFactory):
    """An IO manager resource that wraps `inner` (any IO manager resource) and records reads."""

    inner: ResourceDependency[IOManager]

    def create_io_manager(self, context: InitResourceContext) -> ReadRecordingIOManager:
        return ReadRecordingIOManager(self.inner)


def record_read(context: InputContext) -> None:
    """Log an observation of the upstream asset marking this read; never fails the user's step."""
    step = _step_context(context)
    try:
        metadata = read_metadata(context, step)
        if step is not None:
            context.add_input_metadata(metadata, description="read by the audited IO manager")
        else:
            _report_outside_run(context, metadata)
    except Exception as error:  # an audit hook must not break the pipeline it observes
        log.warning("could not record the read of %s: %s", context.asset_key, error)
        if step is not None:
            context.log.warning(f"mlaudit: read of {context.asset_key} not recorded: {error}")


def read_metadata(context: InputContext, step: Any | None) -> dict[str, Any]:
    """Who read which version: reader step and assets, and the upstream data version loaded."""
    metadata: dict[str, Any] = {ACCESS_KEY: READ_ACCESS}
    if step is None:
        metadata[READER_KEY] = OUTSIDE_RUN_READER
        return metadata
    metadata[READER_KEY] = step.step.key
    metadata[READER_ASSETS_KEY] = sorted(key.to_user_string() for key in _reader_assets(step))
    info = _loaded_version_info(step, context)
    if info is not None:
        if info.data_version is not None:
            metadata[DATA_VERSION_KEY] = info.data_version.value
        if info.storage_id is not None:
            metadata[UPSTREAM_STORAGE_ID_KEY] = int(info.storage_id)
    return metadata


def _step_context(context: InputContext) -> Any | None:
    # `InputContext.step_context` raises when the context was built outside a step
    # (e.g. `Definitions.load_asset_value`); there is no public "has step context" check.
    try:
        return context.step_context
    except Exception:
        return None


def _reader_assets(step: Any) -> set[Any]:
    try:
        return set(step.get_output_asset_keys())
    except Exception:  # ops that produce no assets
        return set()


def _loaded_version_info(step: Any, context: InputContext) -> Any | None:
    """The upstream record the step resolved as its input version (what Dagster's own
    `dagster/input_data_version/<key>` tag of the downstream materialization reports)."""
    try:
        return step.maybe_fetch_and_get_input_asset_version_info(context.asset_key)
    except Exception:
        return None


def _report_outside_run(context: InputContext, metadata: dict[str, Any]) -> None:
    """A read outside any run (a notebook's `load_asset_value`): a runless observation."""
    try:
        instance = context.instance
    except Exception:
        return  # no instance to report to: nothing durable can record this read
    instance.report_runless_asset_event(
        AssetObservation(asset_key=context.asset_key, metadata=metadata)
    )
