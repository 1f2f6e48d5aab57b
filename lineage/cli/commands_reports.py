"""Signed compliance reports per period (see docs/COMPLIANCE-REPORT.md): `mlaudit report
[--since] [--until] [--out DIR]`, `mlaudit report verify FILE`, `mlaudit reports`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lineage.authz import READ_FINDINGS, RUN_REVIEWS
from lineage.cli.output import Db, console, fail, open_store, print_json, time_option, when
from lineage.cli.session import permit
from lineage.report import (
    IssuedReport,
    ReportFileError,
    default_period,
    issue_report,
    list_reports,
    report_period,
    verify_file,
)
from lineage.timeutil import now_store_time, to_store_time

SINCE_HELP = "Period start, ISO-8601 (default: end of the last report, else the first event)."
report_app = typer.Typer(help="Issue and verify signed compliance reports.", no_args_is_help=False)


@report_app.callback(invoke_without_command=True)
def report_command(
    ctx: typer.Context,
    since: Annotated[str | None, time_option(SINCE_HELP)] = None,
    until: Annotated[str | None, time_option("Period end, ISO-8601 (default: now).")] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for report-<period>.json and .html.")
    ] = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    db: Db = None,
) -> None:
    """Issue the signed compliance report of a period: stored, recorded, written as JSON + HTML."""
    if ctx.invoked_subcommand is not None:
        return
    store = open_store(db)
    try:
        period = _period(store, since, until)
    except ValueError as exc:
        fail(str(exc))
    target = {"kind": "report", "name": f"{period['since']}..{period['until']}"}
    # Issuing signs and stores a report, as running a review does (the app asks the same).
    principal = permit(store, "report.issued", RUN_REVIEWS, target)
    issued = issue_report(store, period["since"], period["until"], principal, out)
    summary = _summary(issued)
    if as_json:
        print_json(summary)
        return
    for name, value in summary.items():
        console.print(f"[bold]{name}[/]: {value}", highlight=False, soft_wrap=True)


def _period(store: Any, since: str | None, until: str | None) -> dict[str, str]:
    end = to_store_time(until) if until else now_store_time()
    return default_period(store, end) if since is None else report_period(since, end)


def _summary(issued: IssuedReport) -> dict[str, Any]:
    body = issued.envelope["body"]
    head = issued.envelope["tree_head"] or {}
    return {
        "report": issued.id,
        "period": f"{body['period']['since']} .. {body['period']['until']}",
        "sha256": issued.sha256,
        "json": str(issued.json_path),
        "html": str(issued.html_path),
        "entries": body["activity"]["entries"],
        "new model versions": len(body["models"]),
        "deployment actions": len(body["deployments"]),
        "evaluations": len(body["evaluations"]),
        "findings": len(body["findings"]["items"]),
        "log verified": body["integrity"]["ok"],
        "built against head": f"#{head.get('id')} ({head.get('tree_size')} entries)",
    }


@report_app.command("verify")
def verify_command(
    file: Annotated[Path, typer.Argument(help="A report's .json or .html file.")],
    public_key: Annotated[
        str | None, typer.Option(help="The log's Ed25519 public key (hex) to pin.")
    ] = None,
    check_log: Annotated[
        bool, typer.Option("--check-log", help="Also check the report's tree head is in the log.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    db: Db = None,
) -> None:
    """Check a report's digest, signature and tree head; exit 1 naming what fails."""
    store = None
    if check_log:
        store = open_store(db)
        permit(store, "report.verify", READ_FINDINGS, {"kind": "report", "name": file.name})
    try:
        check = verify_file(file, public_key, store)
    except ReportFileError as exc:
        fail(str(exc))  # it names the file
    if as_json:
        print_json({"ok": check.ok, **{k: v for k, v in vars(check).items() if k != "ok"}})
    elif check.ok:
        console.print(f"[green]verified[/]: {file} (sha256 {check.sha256}); {check.under}")
    else:
        for failure in check.failures:
            console.print(f"[red]FAILED[/]: {failure}", highlight=False)
    if not check.ok:
        raise typer.Exit(1)


def reports_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: Db = None,
) -> None:
    """List the issued compliance reports, newest first."""
    store = open_store(db)
    permit(store, "report.list", READ_FINDINGS, {"kind": "report", "name": "*"})
    rows = list_reports(store.engine)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No compliance report has been issued yet (`mlaudit report`).")
    for row in rows:
        console.print(
            f"#{row['id']}  {when(row['period_since'])} .. {when(row['period_until'])}  "
            f"issued {when(row['generated_at'])} by {row['generated_by']}  sha256 {row['sha256']}",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `app`."""
    app.add_typer(report_app, name="report")
    app.command("reports")(reports_command)
