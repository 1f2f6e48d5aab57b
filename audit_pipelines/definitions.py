"""The Dagster code location: the ML project, the capture sensor, and the review jobs with their
schedules and the weekly compliance report (`dagster dev` loads `defs`)."""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions

from audit_pipelines.capture.sensor import capture_sensor
from audit_pipelines.ml import ml_asset_checks, ml_assets, ml_jobs
from audit_pipelines.ml.export import export_project, project_export
from audit_pipelines.resources import pipeline_resources
from audit_pipelines.review.jobs import review_jobs, review_schedules
from audit_pipelines.review.report import (
    compliance_report,
    compliance_report_job,
    compliance_report_schedule,
)


def build_definitions(home: Path | None = None, store_url: str | None = None) -> Definitions:
    """The definitions with files under `home` and the audit store at `store_url` (defaults:
    see `pipeline_resources`)."""
    return Definitions(
        assets=[*ml_assets, project_export, compliance_report],
        asset_checks=ml_asset_checks,
        jobs=[*ml_jobs, export_project, *review_jobs, compliance_report_job],
        schedules=[*review_schedules, compliance_report_schedule],
        sensors=[capture_sensor],
        resources=pipeline_resources(home, store_url),
    )


defs = build_definitions()
