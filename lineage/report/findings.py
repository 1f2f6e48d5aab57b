"""The findings of a report: what the reviews raised or saw again in the period, and how each
stands now (status, who changed it and when, the resolution note). Statuses are as of building
the report, which is when an auditor reads it; each change is also an audit event in the log."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine

from lineage.findings import list_findings

FIELDS = (
    "id",
    "kind",
    "rule",
    "severity",
    "subject",
    "title",
    "status",
    "first_seen",
    "last_seen",
    "occurrences",
    "status_changed_at",
    "status_by",
    "resolution_note",
)


def findings_section(engine: Engine, since: str, until: str) -> dict[str, Any]:
    """Findings seen in [since, until]: counts by status and severity, new, and changed in it."""
    items = [
        {name: getattr(view, name) for name in FIELDS}
        for view in list_findings(engine, since=since, until=until)
    ]
    items.sort(key=lambda item: (item["first_seen"], item["id"]))
    changed = [
        i for i in items if i["status"] != "open" and since <= i["status_changed_at"] <= until
    ]
    return {
        "items": items,
        "opened": sum(1 for item in items if item["first_seen"] >= since),
        "acknowledged_in_period": sum(1 for i in changed if i["status"] == "acknowledged"),
        "resolved_in_period": sum(1 for i in changed if i["status"] == "resolved"),
        "by_status": dict(sorted(Counter(item["status"] for item in items).items())),
        "by_severity": dict(sorted(Counter(item["severity"] for item in items).items())),
    }
