"""Plain Python values out of Dagster metadata and records, safe to put in an OpenLineage event."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from dagster import EventLogRecord


def raw_value(value: Any) -> Any:
    """The plain value of a MetadataValue (or the value itself)."""
    return getattr(value, "value", value)


def text_value(value: Any) -> str | None:
    raw = raw_value(value)
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


def json_safe(value: Any) -> Any:
    """A JSON-able copy: non-finite floats -> None, tuples -> lists, unknown objects -> str.
    (RFC 8785 canonical JSON has no NaN or Infinity.)"""
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if finite(value) else None
    return str(value)


def finite(value: Any) -> bool:
    """A real number JSON can hold (not a bool, NaN or an infinity)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def event_metadata(record: EventLogRecord | None) -> Mapping[str, Any]:
    """Metadata of the materialization or observation in a record ({} when there is none)."""
    event = record.asset_event if record is not None else None
    return event.metadata if event is not None else {}


def event_tags(record: EventLogRecord | None) -> Mapping[str, str]:
    """Tags of the materialization or observation in a record ({} when there are none)."""
    event = record.asset_event if record is not None else None
    return (event.tags or {}) if event is not None else {}
