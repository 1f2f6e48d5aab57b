"""`mlaudit retention status | hold | release | archive | verify-archive`.

Holds need LEGAL_HOLD, archiving MAINTAIN, status READ_FINDINGS; each is an audit event.
`verify-archive` reads only files: it is what an auditor runs on an archive, with no database.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lineage.authz import LEGAL_HOLD, MAINTAIN, READ_FINDINGS
from lineage.cli.output import (
    Db,
    Json,
    console,
    err_console,
    open_store,
    print_json,
    time_option,
)
from lineage.cli.session import audited, permit
from lineage.retention.archive import ArchiveOutcome, archive_due
from lineage.retention.due import DuePlan, plan_due
from lineage.retention.holds import Hold, list_holds, place_hold, release_hold
from lineage.retention.offline import check_archive
from lineage.retention.policy import RetentionPolicy, parse_policy
from lineage.retention.segments import file_state, stored_segments
from lineage.review.config import load_review_config
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

retention = typer.Typer(help="Retention: legal holds and archiving of expired log entries.")
Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the log).")]


def _policy(store: AuditStore) -> RetentionPolicy:
    return parse_policy(load_review_config(store.settings).get("retention", {}))


@retention.command("status")
def status_command(db: Db = None, as_json: Json = False) -> None:
    """What retention makes due now, what legal holds keep, and the archived segments."""
    store = open_store(db)
    audited(store, "retention.status", READ_FINDINGS, {"kind": "log", "name": "retention"})
    with store.engine.connect() as conn, conn.begin():
        holds = list_holds(conn)
        plan = plan_due(conn, _policy(store), now_store_time(), holds)
        segments = stored_segments(conn)
    archived = [
        {
            "first_seq": s.first_seq,
            "end_seq": s.end_seq,
            "file": s.file_path,
            "archived_at": s.statement.archived_at,
            "file_problem": file_state(s),
        }
        for s in segments
    ]
    document = {
        "due": [s.to_json() for s in plan.segments],
        "due_entries": plan.due_entries,
        "holds": [_hold_json(h, plan) for h in holds],
        "archived": archived,
    }
    if as_json:
        print_json(document)
        return
    _status_tables(document)


def _hold_json(hold: Hold, plan: DuePlan) -> dict[str, object]:
    return {**vars(hold), "keeps_expired": len(plan.held.get(hold.id, []))}


def _status_tables(document: dict) -> None:  # type: ignore[type-arg]
    console.print(f"due for archiving: {document['due_entries']} entries")
    for title, rows, columns in (
        ("due segments", document["due"], ("first_seq", "end_seq", "entries", "oldest")),
        (
            "active legal holds",
            document["holds"],
            ("id", "reason", "category", "since", "until", "subject", "keeps_expired"),
        ),
        (
            "archived segments",
            document["archived"],
            ("first_seq", "end_seq", "archived_at", "file", "file_problem"),
        ),
    ):
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("-" if row[c] is None else str(row[c]) for c in columns))
        console.print(table)


@retention.command("hold")
def hold_command(
    reason: Reason,
    category: Annotated[str | None, typer.Option(help="Only entries of this category.")] = None,
    since: Annotated[str | None, time_option("Only entries from this event time.")] = None,
    until: Annotated[str | None, time_option("Only entries up to this event time.")] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            help="Only entries about this person (pseudonym or name) or dataset (namespace/name)."
        ),
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Place a legal hold: matching entries are kept past their retention until released."""
    store = open_store(db)
    who = permit(store, "retention.hold.place", LEGAL_HOLD, {"kind": "legal_hold", "name": "new"})
    hold = place_hold(
        store, who, reason=reason, category=category, since=since, until=until, subject=subject
    )
    _show_hold(hold, as_json)


@retention.command("release")
def release_command(
    hold_id: Annotated[int, typer.Argument(help="The hold's id.")],
    reason: Reason,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Release a legal hold."""
    store = open_store(db)
    target = {"kind": "legal_hold", "name": str(hold_id)}
    who = permit(store, "retention.hold.release", LEGAL_HOLD, target)
    _show_hold(release_hold(store, who, hold_id, reason), as_json)


def _show_hold(hold: Hold, as_json: bool) -> None:
    if as_json:
        print_json(vars(hold))
        return
    state = f"released {hold.released_at}" if hold.released_at else "active"
    console.print(f"legal hold {hold.id}: {state}", highlight=False)


@retention.command("archive")
def archive_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would go.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Archive folder (default: retention.archive_dir, else <MLAUDIT_HOME>/archive)."
        ),
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Write due segments to signed archive files, then remove them from the log."""
    store = open_store(db)
    who = permit(store, "retention.archive", MAINTAIN, {"kind": "log", "name": "retention"})
    outcome = archive_due(store, who, _policy(store), out=out, dry_run=dry_run)
    _show_outcome(outcome, dry_run, as_json)


def _show_outcome(outcome: ArchiveOutcome, dry_run: bool, as_json: bool) -> None:
    document = {
        "dry_run": dry_run,
        "folder": str(outcome.folder),
        "due": [s.to_json() for s in outcome.plan.segments],
        "archived": [
            {
                **a.segment.to_json(),
                "data_file": str(a.data_file),
                "manifest": str(a.manifest),
                "event_seq": a.event_seq,
            }
            for a in outcome.archived
        ],
    }
    if as_json:
        print_json(document)
        return
    verb = "would archive" if dry_run else "archived"
    shown = outcome.plan.segments if dry_run else [a.segment for a in outcome.archived]
    console.print(f"{verb} {sum(s.count for s in shown)} entries in {len(shown)} segment(s)")
    for archived in outcome.archived:
        console.print(f"  {archived.manifest}", highlight=False)


@retention.command("verify-archive")
def verify_archive_command(
    file: Annotated[Path, typer.Argument(help="An archive manifest or data file.")],
    public_key: Annotated[
        str | None, typer.Option(help="The log's Ed25519 public key (hex) you trust.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Check an archive offline: file hash, signatures, hash chain, Merkle evidence."""
    steps = check_archive(file, public_key)
    ok = all(step.ok for step in steps)
    if as_json:
        sys.stdout.write(json.dumps({"ok": ok, "steps": [vars(s) for s in steps]}, indent=2))
        sys.stdout.write("\n")
    else:
        for step in steps:
            mark = "[green]ok[/]" if step.ok else "[bold red]FAILED[/]"
            err_console.print(f"{mark}: {step.what}", highlight=False)
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `app`."""
    app.add_typer(retention, name="retention")
