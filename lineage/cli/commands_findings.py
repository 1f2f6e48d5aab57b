"""`mlaudit findings [show | ack | resolve]`: read the reviews' findings and triage them.

Reading needs READ_FINDINGS and is recorded as a read of the log (as `mlaudit events` is);
acknowledging and resolving need TRIAGE_FINDINGS and are audit events themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from lineage.accounts.redaction import REDACTED
from lineage.authz import READ_FINDINGS, READ_PERSONAL, TRIAGE_FINDINGS, Principal, is_allowed
from lineage.cli.output import (
    Db,
    Json,
    console,
    fail,
    open_store,
    print_json,
    time_option,
    when,
)
from lineage.cli.session import audited, permit
from lineage.errors import AuditError
from lineage.findings import (
    KINDS,
    SEVERITIES,
    STATUSES,
    FindingView,
    change_status,
    check_filters,
    finding_history,
    get_finding,
    list_findings,
)

findings = typer.Typer(help="Findings of the periodic reviews: list, show, triage.")
FindingId = Annotated[
    int, typer.Argument(metavar="ID", help="The finding's id (first column of the list).")
]
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Exit 2 with the error's own words (unknown id, bad filter, a refused transition)."""
    try:
        yield
    except AuditError as exc:
        fail(str(exc))


def _personal(row: dict[str, Any], who: Principal) -> dict[str, Any]:
    """Pseudonyms are personal data: without READ_PERSONAL they are not shown."""
    if is_allowed(who, READ_PERSONAL):
        return row
    return {k: REDACTED if isinstance(v, str) and "psn:" in v else v for k, v in row.items()}


@findings.callback(invoke_without_command=True)
def list_command(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help=f"One of: {', '.join(STATUSES)}.")] = None,
    kind: Annotated[str | None, typer.Option(help=f"One of: {', '.join(KINDS)}.")] = None,
    severity: Annotated[str | None, typer.Option(help=f"One of: {', '.join(SEVERITIES)}.")] = None,
    since: Annotated[str | None, time_option("ISO time: seen at or after.")] = None,
    until: Annotated[str | None, time_option("ISO time: first seen before.")] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Findings, most severe first, then the most recently seen."""
    if ctx.invoked_subcommand is not None:
        return
    filters = {"status": status, "kind": kind, "severity": severity, "since": since, "until": until}
    chosen = {k: v for k, v in filters.items() if v is not None}
    with _clear_errors():
        store = open_store(db)
        check_filters(**chosen)  # bad filters fail before anything is recorded
        target = {"kind": "log", "name": "findings"}
        who = audited(store, "log.read.findings", READ_FINDINGS, target, details=chosen)
        rows = [_personal(v.as_dict(), who) for v in list_findings(store.engine, **chosen)]
    if as_json:
        print_json(rows)
        return
    table = Table(header_style="bold cyan")
    for column in ("id", "severity", "status", "kind", "rule", "subject", "title", "last seen"):
        table.add_column(column, overflow="fold")
    table.add_column("seen", justify="right")
    for r in rows:
        style = SEVERITY_STYLE.get(r["severity"], "")
        table.add_row(
            str(r["id"]),
            f"[{style}]{r['severity']}[/]" if style else r["severity"],
            r["status"],
            r["kind"],
            r["rule"],
            r["subject"],
            r["title"],
            when(r["last_seen"]),
            str(r["occurrences"]),
        )
    console.print(table)
    console.print(f"{len(rows)} finding(s)", highlight=False)


@findings.command("show")
def show_command(finding_id: FindingId, db: Db = None, as_json: Json = False) -> None:
    """One finding: why it fired, its evidence, and its status history from the log."""
    with _clear_errors():
        store = open_store(db)
        target = {"kind": "finding", "name": str(finding_id)}
        who = audited(store, "log.read.finding", READ_FINDINGS, target)
        finding = get_finding(store.engine, finding_id)
        history = [_personal(h.as_dict(), who) for h in finding_history(store.engine, finding_id)]
    shown = _personal(finding.as_dict(), who)
    if as_json:
        print_json({**shown, "history": history})
        return
    console.print(f"[bold]#{finding.id} {finding.title}[/]", highlight=False)
    for name in ("severity", "status", "kind", "rule", "subject", "status_by"):
        console.print(f"{name}: {shown[name]}", highlight=False)
    console.print(
        f"seen {finding.occurrences} time(s), first {when(finding.first_seen)}, "
        f"last {when(finding.last_seen)} UTC by review {finding.last_review}",
        highlight=False,
    )
    if finding.resolution_note:
        console.print(f"resolution note: {shown['resolution_note']}", highlight=False)
    console.print(f"\n{finding.explanation}\n", highlight=False)
    console.print("[bold]evidence[/]")
    console.print_json(data=_personal(finding.evidence, who))
    _print_history(history)


def _print_history(history: list[dict[str, Any]]) -> None:
    table = Table(title="status history (audit log)", header_style="bold cyan")
    for column in ("seq", "time", "change", "by", "note"):
        table.add_column(column, overflow="fold")
    for h in history:
        table.add_row(str(h["seq"]), when(h["at"]), h["action"], h["actor"] or "-", h["note"] or "")
    console.print(table)


def _triage(finding_id: int, status: str, note: str | None, db: str | None) -> FindingView:
    action = "finding.acknowledged" if status == "acknowledged" else "finding.resolved"
    with _clear_errors():
        store = open_store(db)
        target = {"kind": "finding", "name": str(finding_id)}
        who = permit(store, action, TRIAGE_FINDINGS, target)
        return change_status(store, who, finding_id, status, note)


@findings.command("ack")
def ack_command(
    finding_id: FindingId,
    note: Annotated[str | None, typer.Option(help="Why, or what happens next.")] = None,
    db: Db = None,
) -> None:
    """Acknowledge a finding: someone is on it."""
    finding = _triage(finding_id, "acknowledged", note, db)
    console.print(f"finding {finding.id} acknowledged: {finding.title}", highlight=False)


@findings.command("resolve")
def resolve_command(
    finding_id: FindingId,
    note: Annotated[str, typer.Option(help="Why it is resolved (required).")],
    db: Db = None,
) -> None:
    """Resolve a finding, saying why. It reopens if a review finds it again."""
    finding = _triage(finding_id, "resolved", note, db)
    console.print(f"finding {finding.id} resolved: {finding.title}", highlight=False)


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `app`."""
    app.add_typer(findings, name="findings")
