"""Capture of Dagster activity as OpenLineage events into the audit store.

Nothing here is imported by the ML assets: the sensor reads Dagster's event log, and the audited
IO manager is configured as a resource. See docs/ARCHITECTURE.md, "Capturing Dagster".
"""

from __future__ import annotations

from audit_pipelines.capture.emitter import AuditStoreResource, build_client, open_store
from audit_pipelines.capture.io_manager import AuditedIOManager
from audit_pipelines.capture.mapper import DagsterLookup, map_record
from audit_pipelines.capture.sensor import (
    CaptureInterrupted,
    capture_sensor,
    capture_until_idle,
    run_capture,
)

__all__ = [
    "AuditStoreResource",
    "AuditedIOManager",
    "CaptureInterrupted",
    "DagsterLookup",
    "build_client",
    "capture_sensor",
    "capture_until_idle",
    "map_record",
    "open_store",
    "run_capture",
]
