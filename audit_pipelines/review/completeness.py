"""Capture completeness: Dagster's history and the audit log must tell the same story.

- `completeness.missing_in_log`: a Dagster event the capture has already passed (its stream's
  position is at or beyond it) but whose audit event is not in the store: skipped, or lost.
- `completeness.missing_in_dagster`: an audit event of the capture whose Dagster event no longer
  exists: a run deleted from Dagster's history (covering tracks), or wiped asset events.
- `completeness.capture_lag`: events the capture has not reached yet that are older than
  `lag_minutes`: the sensor is stalled or off. Younger ones are simply in flight.

How far the capture got on each stream (run status type, asset event kind) is the sensor's
cursor, or, where the store shows more (captures run in process, e.g. `mlaudit run`), the newest
storage id stored for that stream: the capture emits each stream in storage-id order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from dagster import DagsterInstance
from dagster._core.definitions.run_request import InstigatorType

from audit_pipelines.capture.cursor import CaptureCursor
from audit_pipelines.capture.sensor import SENSOR_NAME
from audit_pipelines.review.dagster_items import (
    CHECK_EVENT,
    Item,
    captured_items,
    dagster_items,
    still_in_dagster,
)
from audit_pipelines.review.gaps import capture_lag, missing_in_dagster, missing_in_log
from lineage.findings.draft import FindingDraft
from lineage.review.config import ReviewConfigError
from lineage.review.context import Review, ReviewContext
from lineage.timeutil import parse_time, to_store_time

DEFAULT_LAG_MINUTES = 30
CONFIG_KEYS = frozenset({"lag_minutes"})


def completeness_review(instance: DagsterInstance) -> Review:
    """The completeness review of `instance` against the store of the context it is given."""

    def review_completeness(ctx: ReviewContext) -> list[FindingDraft]:
        lag = lag_minutes(ctx.section("completeness"))
        since_ts = parse_time(ctx.window.since).timestamp() if ctx.window.since else None
        until_ts = parse_time(ctx.window.until).timestamp()
        in_dagster = dagster_items(instance, since_ts, until_ts)
        stored = captured_items(ctx.store.engine, ctx.window.since)
        positions = capture_positions(sensor_cursor(instance), stored)
        captured = {item.identity for item in stored}
        missing, pending = split_uncaptured(in_dagster, captured, positions)
        cutoff = to_store_time(parse_time(ctx.now) - timedelta(minutes=lag))
        stale = [item for item in pending if item.time < cutoff]
        known = {item.identity for item in in_dagster}
        vanished = [
            item
            for item in stored
            if item.time <= ctx.window.until
            and item.identity not in known
            and not still_in_dagster(instance, item)
        ]
        return [
            *missing_in_log(missing),
            *missing_in_dagster(vanished, instance),
            *capture_lag(stale, lag),
        ]

    return review_completeness


def lag_minutes(section: Mapping[str, Any]) -> int:
    unknown = sorted(set(section) - CONFIG_KEYS)
    if unknown:
        raise ReviewConfigError(f"completeness.{unknown[0]}: unknown key (known: lag_minutes)")
    value = section.get("lag_minutes", DEFAULT_LAG_MINUTES)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ReviewConfigError(
            f"completeness.lag_minutes: expected a whole number of minutes >= 1, got {value!r}"
        )
    return value


def sensor_cursor(instance: DagsterInstance) -> CaptureCursor:
    """The capture sensor's stored cursor (empty when the sensor never ticked here)."""
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
        data = state.instigator_data
        if state.name == SENSOR_NAME and getattr(data, "cursor", None):
            return CaptureCursor.parse(data.cursor)
    return CaptureCursor()


def capture_positions(cursor: CaptureCursor, stored: Iterable[Item]) -> dict[str, int]:
    """Per stream, the storage id up to which the capture has passed every event."""
    positions: dict[str, int] = {}
    for name, at in cursor.after.items():
        stream = cursor_stream(name)
        positions[stream] = max(positions.get(stream, -1), at)
    for item in stored:
        if item.event_type != CHECK_EVENT:
            positions[item.stream] = max(positions.get(item.stream, -1), item.storage_id)
    return positions


def cursor_stream(name: str) -> str:
    """The sensor cursor's stream names as streams here: `run:<type>` stays; an asset stream
    (`asset:<kind>`, or `<kind>:<asset key>` in version 1 cursors) becomes its kind."""
    if name.startswith("run:"):
        return name
    prefix, _, rest = name.partition(":")
    return rest if prefix == "asset" else prefix


def split_uncaptured(
    items: Iterable[Item], captured: set[tuple[str, str, int]], positions: Mapping[str, int]
) -> tuple[list[Item], list[Item]]:
    """(passed over but absent: gaps, not reached yet: pending) among Dagster's items."""
    missing: list[Item] = []
    pending: list[Item] = []
    for item in items:
        if item.identity in captured:
            continue
        passed = item.position <= positions.get(item.stream, -1)
        (missing if passed else pending).append(item)
    return missing, pending
