"""The completeness review's findings, one per Dagster run (or one for a stalled capture), each
naming the items concerned: event type, asset key, storage id and time."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dagster import DagsterInstance

from audit_pipelines.capture.sensor import SENSOR_NAME
from audit_pipelines.review.dagster_items import Item
from lineage.findings.draft import FindingDraft


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
