"""The compliance report as a Dagster asset, one partition per calendar week (Monday to Monday,
UTC). Materializing a partition issues the signed report of that week through the core
(`lineage.report.issue_report`): HTML and JSON under `<MLAUDIT_HOME>/reports`, recorded in the
store; the asset's metadata carries the files and their SHA-256 so Dagster's UI points at them.
A schedule materializes the week that just ended, every Monday morning."""

# No `from __future__ import annotations`: Dagster reads the asset's annotations at definition.

import hashlib
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    WeeklyPartitionsDefinition,
    asset,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from audit_pipelines.capture.emitter import AuditStoreResource
from audit_pipelines.resources import pipeline_home
from lineage.report.issue import IssuedReport, issue_report
from lineage.review.runner import SERVICE_PRINCIPAL
from lineage.timeutil import to_store_time

REPORT_START = "2026-01-05"  # a Monday: the first week a report can be issued for
weekly = WeeklyPartitionsDefinition(start_date=REPORT_START, day_offset=1, timezone="UTC")


def reports_dir() -> Path:
    return pipeline_home() / "reports"


@asset(
    partitions_def=weekly,
    group_name="audit",
    description="The signed weekly compliance report (HTML and JSON): activity, models, "
    "deployments, access by role, findings and their resolution, signed heads.",
)
def compliance_report(
    context: AssetExecutionContext, audit_store: AuditStoreResource
) -> MaterializeResult:
    window = context.partition_time_window
    issued = issue_report(
        audit_store.open(),
        to_store_time(window.start),
        to_store_time(window.end),
        SERVICE_PRINCIPAL,
        reports_dir(),
    )
    return MaterializeResult(metadata=report_metadata(issued))


def report_metadata(issued: IssuedReport) -> dict[str, Any]:
    """The report's identity and signed digest, and each file with its own SHA-256."""
    metadata: dict[str, Any] = {
        "report_id": issued.id,
        "sha256": issued.sha256,
        "period_since": issued.period["since"],
        "period_until": issued.period["until"],
    }
    for name, path in (("html", issued.html_path), ("json", issued.json_path)):
        if path is not None:
            metadata[name] = MetadataValue.path(str(path))
            metadata[f"{name}_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return metadata


compliance_report_job = define_asset_job(
    "weekly_compliance_report", selection=[compliance_report], partitions_def=weekly
)
compliance_report_schedule: ScheduleDefinition = build_schedule_from_partitioned_job(
    compliance_report_job, hour_of_day=4, default_status=DefaultScheduleStatus.RUNNING
)
