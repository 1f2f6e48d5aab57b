"""Normalise the OpenLineage drift whose meaning is unambiguous, noting every change.

What is changed (and nothing else):

* `eventTime` and the `nominalTime` facet's times without a UTC offset are read as UTC ("Z");
* fractional seconds beyond microseconds are truncated to microseconds;
* a date-only `nominalStartTime`/`nominalEndTime` becomes midnight UTC of that date;
* a missing `schemaURL` becomes the 2-0-2 URL of the event's kind (by its shape);
* a `run.runId` that is not a UUID becomes uuid5(NAMESPACE_URL, "openlineage-run:" + original),
  and so does the parent facet's `run.runId` (and `root.run.runId`), by the same rule, so that a
  parent link still names the run whose own events carried that id;
* a `dataQualityMetrics` facet (input or dataset facet) without `columnMetrics` gets
  `columnMetrics: {}`, but only if every other property it has is one the facet's current schema
  defines (or `_producer`, `_schemaURL`, `_deleted`). Every published version requires
  columnMetrics, yet upstream's own sample events (Marquez, the fluentd proxy) omit it; a facet
  made only of defined properties is a well-formed metrics facet with no per-column metrics, and
  `{}` says exactly that. One with an unknown property (`noRowCount`, a typo of rowCount) is not a
  well-formed facet, so what it means is not unambiguous: it is left for validation to reject.

A missing `producer` is not invented, and a value the rules above would not turn into a valid one
(an impossible date, an offset without a colon, ...) is left for validation to report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from lineage.validation.facets import defined_properties
from lineage.validation.formats import is_date_time, is_uuid
from lineage.validation.messages import json_path
from lineage.validation.targets import (
    DEFAULT_VERSION,
    any_facet_named,
    core_schema_for,
    facet_maps,
    is_deletion_marker,
    kind_by_shape,
)

SCHEMA_URL = "https://openlineage.io/spec/{version}/OpenLineage.json#/$defs/{kind}"
RUN_ID_PREFIX = "openlineage-run:"

_DATE_TIME_PARTS = re.compile(
    r"^(?P<head>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})?\Z",
    re.ASCII,
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_MICROSECONDS = len(".123456")
_NOMINAL_TIMES = ("nominalStartTime", "nominalEndTime")
# Where a run facet map names other runs by id: the parent run, and the root of its hierarchy.
_PARENT_RUN_IDS = (("parent", "run", "runId"), ("parent", "root", "run", "runId"))
_DATA_QUALITY_METRICS = "dataQualityMetrics"
# The generic facet fields (core BaseFacet, DatasetFacet's `_deleted`), allowed at any place.
_BASE_FACET_FIELDS = frozenset({"_producer", "_schemaURL", "_deleted"})


def normalize_event(event: dict) -> tuple[dict, list[str]]:
    """(normalised copy, notes). Never mutates `event`.

    Only the containers along a changed path are copied; unchanged sub-objects are shared with
    `event`, so treat both as read-only. Anything that is not a dict is returned as it is, with no
    notes, for validation to reject.
    """
    if not isinstance(event, dict):
        return event, []
    out = dict(event)
    notes: list[str] = []
    _normalize_time(out, "eventTime", "eventTime", notes, date_only_allowed=False)
    run = out.get("run")
    if isinstance(run, dict):
        out["run"] = _normalize_run(run, notes)
    if out.get("schemaURL") is None:
        _add_schema_url(out, notes)
    _fill_column_metrics(out, notes)
    return out, notes


def run_id_for(original: str) -> str:
    """The UUID a non-UUID run id is replaced by: stable, so every event of that run agrees."""
    return str(uuid5(NAMESPACE_URL, RUN_ID_PREFIX + original))


def _mapped_run_id(run_id: Any, label: str, notes: list[str]) -> str | None:
    """run_id_for(run_id), noted, if `run_id` is a non-UUID id; None if it stays as it is."""
    # An empty id names no run: mapping it would merge unrelated runs, so it stays a violation.
    if not isinstance(run_id, str) or not run_id.strip() or is_uuid(run_id):
        return None
    mapped = run_id_for(run_id)
    notes.append(
        f"{label}: {_quote(run_id)} is not a UUID, replaced by "
        f'uuid5(NAMESPACE_URL, "{RUN_ID_PREFIX}" + original) = {mapped}'
    )
    return mapped


def _normalize_run(run: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    new_run = run
    mapped = _mapped_run_id(run.get("runId"), "run.runId", notes)
    if mapped is not None:
        new_run = {**run, "runId": mapped}
    facets = run.get("facets")
    if not isinstance(facets, dict):
        return new_run
    new_facets = facets
    nominal = facets.get("nominalTime")
    if isinstance(nominal, dict):
        new_nominal = dict(nominal)
        changed = False
        for field in _NOMINAL_TIMES:
            label = f"run.facets.nominalTime.{field}"
            changed |= _normalize_time(new_nominal, field, label, notes, date_only_allowed=True)
        if changed:
            new_facets = {**new_facets, "nominalTime": new_nominal}
    # A parent (or root) run id names a run whose own events carry it as their run.runId, which
    # is mapped by the same rule: mapping this one too keeps the link pointing at that run.
    for path in _PARENT_RUN_IDS:
        label = "run.facets." + ".".join(path)
        mapped = _mapped_run_id(_value_at(new_facets, path), label, notes)
        if mapped is not None:
            new_facets = _replaced(new_facets, path, mapped)
    if new_facets is not facets:
        new_run = {**new_run, "facets": new_facets}
    return new_run


def _fill_column_metrics(event: dict[str, Any], notes: list[str]) -> None:
    """Give each well-formed `dataQualityMetrics` facet lacking columnMetrics an empty one."""
    if not any_facet_named(event, _DATA_QUALITY_METRICS):
        return
    _, kind = core_schema_for(event)
    paths = [
        (*path, _DATA_QUALITY_METRICS)
        for path, place, facets in facet_maps(event, kind)
        if _means_no_column_metrics(place, facets.get(_DATA_QUALITY_METRICS))
    ]
    for path in paths:
        facet = {**_value_at(event, path), "columnMetrics": {}}
        event[path[0]] = _replaced(event[path[0]], path[1:], facet)
        notes.append(f"{json_path(path)[2:]}: columnMetrics missing, read as no column metrics")


def _means_no_column_metrics(place: str, facet: Any) -> bool:
    if not isinstance(facet, dict) or "columnMetrics" in facet:
        return False
    if is_deletion_marker(place, facet):
        return False  # carries no content, so validation asks for none
    # Only a facet made of properties its schema defines is a well-formed one without column
    # metrics; an unknown one (`noRowCount`, a typo) makes its meaning a guess: left invalid.
    # Empty (no such standard facet at this place): nothing to read it by, left alone.
    defined = defined_properties(place, _DATA_QUALITY_METRICS)
    return "columnMetrics" in defined and facet.keys() <= defined | _BASE_FACET_FIELDS


def _value_at(holder: Any, path: Sequence[str | int]) -> Any:
    """The value at `path` through dicts and lists, or None where the path does not lead."""
    for part in path:
        if isinstance(holder, dict) and isinstance(part, str):
            holder = holder.get(part)
        elif isinstance(holder, list) and isinstance(part, int) and 0 <= part < len(holder):
            holder = holder[part]
        else:
            return None
    return holder


def _replaced(holder: Any, path: Sequence[str | int], value: Any) -> Any:
    """A copy of `holder` with `value` at `path`; only the containers along the path are copied."""
    if not path:
        return value
    copied = list(holder) if isinstance(holder, list) else dict(holder)
    copied[path[0]] = _replaced(holder[path[0]], path[1:], value)
    return copied


def _normalize_time(
    holder: dict[str, Any], key: str, label: str, notes: list[str], *, date_only_allowed: bool
) -> bool:
    """Rewrite holder[key] if it is a drifted but unambiguous date-time; True if it changed."""
    value = holder.get(key)
    if not isinstance(value, str):
        return False
    if date_only_allowed and _DATE.match(value):
        candidate = f"{value}T00:00:00Z"
        if not is_date_time(candidate):
            return False
        holder[key] = candidate
        notes.append(f"{label}: date only, read as {candidate}")
        return True
    match = _DATE_TIME_PARTS.match(value)
    if match is None:
        return False
    fraction, offset = match.group("fraction") or "", match.group("offset")
    changes = []
    if len(fraction) > _MICROSECONDS:
        fraction = fraction[:_MICROSECONDS]
        changes.append(f"{label}: fractional seconds beyond microseconds truncated (was {value})")
    if offset is None:
        offset = "Z"
        changes.append(f"{label}: no UTC offset, read as UTC")
    candidate = match.group("head") + fraction + offset
    if not changes or not is_date_time(candidate):
        return False
    holder[key] = candidate
    notes.extend(changes)
    return True


def _add_schema_url(event: dict[str, Any], notes: list[str]) -> None:
    kind = kind_by_shape(event)
    if kind is None:
        return  # no shape to name a schema by: validation reports the missing parts
    was = "null" if "schemaURL" in event else "missing"
    event["schemaURL"] = SCHEMA_URL.format(version=DEFAULT_VERSION, kind=kind)
    notes.append(f"schemaURL: {was}, set to {event['schemaURL']}")


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)
