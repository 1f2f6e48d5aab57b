"""Compliance reports per period: built from the store, signed, stored, rendered as HTML and JSON.

`issue_report` is the one call that issues a report (the CLI, the app and the Dagster schedule
use it); `verify_report` / `verify_file` check one later, without or with the store.
"""

from lineage.report.build import FORMAT, build_report, report_period
from lineage.report.html import ReportFileError, envelope_from_html, render_html
from lineage.report.issue import (
    IssuedReport,
    default_period,
    envelope_json,
    issue_report,
    list_reports,
    load_report,
    period_label,
    verify_file,
    verify_text,
)
from lineage.report.sign import ENVELOPE, ReportCheck, sign_report, verify_report

__all__ = [
    "ENVELOPE",
    "FORMAT",
    "IssuedReport",
    "ReportCheck",
    "ReportFileError",
    "build_report",
    "default_period",
    "envelope_from_html",
    "envelope_json",
    "issue_report",
    "list_reports",
    "load_report",
    "period_label",
    "render_html",
    "report_period",
    "sign_report",
    "verify_file",
    "verify_report",
    "verify_text",
]
