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

from collections import defaultdict
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


def missing_in_log(items: list[Item]) -> list[FindingDraft]:
    def draft(run_id: str, group: list[Item]) -> FindingDraft:
        return FindingDraft(
            kind="completeness",
            rule="completeness.missing_in_log",
            severity="high",
            subject=_subject(run_id),
            title=f"{len(group)} Dagster event(s) of {_subject(run_id)} are not in the audit log",
            explanation=(
                "The capture has moved past these Dagster events but the audit log has no event "
                f"for them: {_named(group)}. Something skipped them (a cursor moved forward by "
                "hand, or events lost between Dagster and the store)."
            ),
            evidence={"run_id": run_id, "items": [_evidence(i) for i in group]},
            occurred_at=group[0].time,
        )

    return [draft(run_id, group) for run_id, group in _by_run(items).items()]


def missing_in_dagster(items: list[Item], instance: DagsterInstance) -> list[FindingDraft]:
    def draft(run_id: str, group: list[Item]) -> FindingDraft:
        deleted = bool(run_id) and instance.get_run_by_id(run_id) is None
        what = "was deleted from Dagster's history" if deleted else "lost events in Dagster"
        return FindingDraft(
            kind="completeness",
            rule="completeness.missing_in_dagster",
            severity="high",
            subject=_subject(run_id),
            title=f"Dagster {_subject(run_id)} {what}",
            explanation=(
                f"The audit log holds {len(group)} captured event(s) of this run that Dagster "
                f"no longer has: {_named(group)}. "
                + (
                    "The run itself is gone from the instance: someone deleted it after it ran."
                    if deleted
                    else "The events were removed from Dagster's event log."
                )
            ),
            evidence={
                "run_id": run_id,
                "run_deleted": deleted,
                "log_seqs": [i.seq for i in group],
                "items": [_evidence(i) for i in group],
            },
            occurred_at=group[0].time,
        )

    return [draft(run_id, group) for run_id, group in _by_run(items).items()]


def capture_lag(items: list[Item], lag: int) -> list[FindingDraft]:
    if not items:
        return []
    oldest = min(items, key=lambda i: i.time)
    return [
        FindingDraft(
            kind="completeness",
            rule="completeness.capture_lag",
            severity="medium",
            subject=f"sensor:{SENSOR_NAME}",
            title=f"{len(items)} Dagster event(s) older than {lag} minutes are not captured yet",
            explanation=(
                f"The capture sensor has not reached {len(items)} Dagster event(s); the oldest "
                f"is from {oldest.time}, more than the allowed {lag} minutes ago. The sensor is "
                "stalled, failing or stopped: check its ticks in Dagster."
            ),
            evidence={
                "pending": len(items),
                "oldest": oldest.time,
                "lag_minutes": lag,
                "items": [_evidence(i) for i in sorted(items, key=lambda i: i.time)[:50]],
            },
            occurred_at=oldest.time,
            # A new stall (a different oldest event) is a new finding; a continuing one is not.
            dedupe=f"{oldest.event_type}:{oldest.storage_id}",
        )
    ]


def _by_run(items: list[Item]) -> dict[str, list[Item]]:
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.time, i.storage_id)):
        groups[item.run_id].append(item)
    return dict(groups)


def _subject(run_id: str) -> str:
    return f"run:{run_id}" if run_id else "run:runless"


def _evidence(item: Item) -> dict[str, Any]:
    return {
        "event_type": item.event_type,
        "asset_key": item.asset_key,
        "storage_id": item.storage_id,
        "time": item.time,
    }


def _named(items: list[Item], most: int = 8) -> str:
    named = [
        f"{i.event_type}" + (f" of {i.asset_key}" if i.asset_key else "") + f" #{i.storage_id}"
        for i in items[:most]
    ]
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(named) + more
