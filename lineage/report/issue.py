"""Issuing a report: sign the log's current tree, build and sign the report, store it, record
`report.issued`, write report-<period>.json and .html. Also reading issued reports and files back.

`issue_report` checks no permission: callers authorize (READ_FINDINGS for the CLI, RUN_REVIEWS in
the app, the schedule's own principal in Dagster) as `reveal_identity` leaves it to them.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

from lineage.accounts.actions import record_user_action
from lineage.authz import Principal
from lineage.canonical import canonical_text
from lineage.errors import IntegrityError, NotFoundError
from lineage.merkle.heads import latest_head, sign_head
from lineage.models import LogEntry
from lineage.models.reports import ComplianceReport
from lineage.report.build import build_report, report_period
from lineage.report.html import ReportFileError, envelope_from_html, render_html
from lineage.report.sign import ENVELOPE, ReportCheck, sign_report, verify_report
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

TABLE = ComplianceReport.__table__
LISTED = ("id", "period_since", "period_until", "generated_at", "generated_by", "sha256")


@dataclass(frozen=True)
class IssuedReport:
    id: int
    sha256: str
    period: dict[str, str]
    json_path: Path | None
    html_path: Path | None
    envelope: dict[str, Any]


def period_label(period: dict[str, str]) -> str:
    """`20260101T000000Z-20260201T000000Z`: file-name safe, sorts by period."""
    return "-".join(period[end][:19].replace("-", "").replace(":", "") + "Z" for end in period)


def default_period(store: AuditStore, until: str | None = None) -> dict[str, str]:
    """From the end of the last issued report (else the log's first event) until now."""
    with store.engine.connect() as conn:
        since = conn.execute(select(func.max(TABLE.c.period_until))).scalar()
        since = since or conn.execute(select(func.min(LogEntry.event_time))).scalar()
    end = until or now_store_time()
    return (
        report_period(since or end, end) if since and since < end else {"since": end, "until": end}
    )


def issue_report(
    store: AuditStore,
    since: str | datetime,
    until: str | datetime,
    principal: Principal,
    out_dir: Path | None,
) -> IssuedReport:
    """Build, sign, store and record one report; write its two files when `out_dir` is given."""
    _sign_current_tree(store)
    envelope = sign_report(store, build_report(store, since, until, generated_by=principal))
    body = envelope["body"]
    head = envelope["tree_head"] or {}
    with store.engine.begin() as conn:
        row = {
            "period_since": body["period"]["since"],
            "period_until": body["period"]["until"],
            "generated_at": body["generated_at"],
            "generated_by": body["generated_by"]["subject"],
            "sha256": envelope["sha256"],
            "signature": envelope["signature"],
            "key_id": envelope["key_id"],
            "public_key": envelope["public_key"],
            "head_size": head.get("tree_size"),
            "head_id": head.get("id"),
            "body": canonical_text(body),
        }
        report_id = conn.execute(insert(TABLE).values(**row)).inserted_primary_key[0]
    details = {**body["period"], "sha256": envelope["sha256"], "report_id": report_id}
    target = {"kind": "report", "name": period_label(body["period"])}
    record_user_action(store, principal, "report.issued", target, details=details)
    paths = write_files(envelope, out_dir) if out_dir is not None else (None, None)
    return IssuedReport(report_id, envelope["sha256"], body["period"], *paths, envelope)


def _sign_current_tree(store: AuditStore) -> None:
    """A head covering every entry so far, so the report's evidence reaches its end. A log that
    cannot be signed (tampered) is reported as it is: the body's integrity section says why."""
    with store.engine.connect() as conn:
        head = latest_head(conn)
        last = conn.execute(select(func.max(LogEntry.seq))).scalar() or 0
    if head is None or head.tree_size < last:
        with contextlib.suppress(IntegrityError):
            sign_head(store, keys=store.keys)


def write_files(envelope: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"report-{period_label(envelope['body']['period'])}"
    json_path, html_path = stem.with_suffix(".json"), stem.with_suffix(".html")
    json_path.write_text(envelope_json(envelope), encoding="utf-8")
    html_path.write_text(render_html(envelope), encoding="utf-8")
    return json_path, html_path


def envelope_json(envelope: dict[str, Any]) -> str:
    return json.dumps(envelope, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def list_reports(engine: Engine) -> list[dict[str, Any]]:
    """Issued reports, newest first, without their bodies."""
    query = select(*(TABLE.c[name] for name in LISTED)).order_by(TABLE.c.id.desc())
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def load_report(engine: Engine, report_id: int) -> dict[str, Any]:
    """The signed envelope of an issued report, rebuilt from its stored row."""
    with engine.connect() as conn:
        row = conn.execute(select(TABLE).where(TABLE.c.id == report_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no compliance report with id {report_id}")
    body = json.loads(row["body"])
    return {
        "format": ENVELOPE,
        "sha256": row["sha256"],
        "key_id": row["key_id"],
        "public_key": row["public_key"],
        "signature": row["signature"],
        "tree_head": dict(body["built_against"]) if body.get("built_against") else None,
        "body": body,
    }


def verify_file(
    path: Path, public_key: str | None = None, store: AuditStore | None = None
) -> ReportCheck:
    """Verify a report file (.json, or .html with the report embedded); a ReportFileError names
    the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ReportFileError(f"{path}: cannot read: {reason}") from exc
    html = path.suffix.lower() in (".html", ".htm")
    try:
        return verify_text(text, html=html, public_key=public_key, store=store)
    except ReportFileError as exc:  # every error of a file names the file
        raise ReportFileError(f"{path}: {exc}") from exc


def verify_text(
    text: str, *, html: bool, public_key: str | None = None, store: AuditStore | None = None
) -> ReportCheck:
    """Verify a report's JSON or HTML text; a page must also be exactly its signed rendering."""
    try:
        envelope = envelope_from_html(text) if html else json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFileError(f"not JSON: {exc}") from exc
    if not isinstance(envelope, dict):
        raise ReportFileError("not a signed compliance report: the JSON is not an object")
    check = verify_report(envelope, public_key, store)
    if not html or not check.sha256 or check.failures:
        return check
    if render_html(envelope) != text:
        failure = "the page's visible content differs from the page of the signed report"
        return ReportCheck(
            False, [failure], check.sha256, check.key_id, check.under, check.head_in_log
        )
    return check
