"""`mlaudit events | verify | ingest | rebuild`: the log itself."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from lineage.accounts.actions import record_user_action
from lineage.authz import MAINTAIN, READ_EVENTS, VERIFY, WRITE_EVENTS, authorize
from lineage.categories import CATEGORIES
from lineage.cli.output import (
    Db,
    Json,
    console,
    err_console,
    fail,
    open_store,
    print_json,
    short,
    time_option,
    when,
)
from lineage.cli.session import actor_values, audited, current_principal, permit
from lineage.errors import AuditError, InvalidEventsError
from lineage.event_files import parse_event_text
from lineage.keys import public_key_id
from lineage.merkle.heads import public_key_from_hex
from lineage.queries import list_events
from lineage.rebuild import rebuild_projections
from lineage.verify import IntegrityReport, report_json, verify_log

VERIFY_TARGET = {"kind": "log", "name": "verify"}


def events_command(
    since: Annotated[str | None, time_option("ISO time: events at or after.")] = None,
    until: Annotated[str | None, time_option("ISO time: events at or before.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
    category: Annotated[str | None, typer.Option(help=f"One of: {', '.join(CATEGORIES)}.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events.")] = 100,
    after: Annotated[
        int, typer.Option(help="Page on: only entries after this sequence number.")
    ] = 0,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """The raw audit log, oldest first."""
    if category and category not in CATEGORIES:
        fail(f"unknown category {category!r}; choose one of: {', '.join(CATEGORIES)}")
    store = open_store(db)
    filters = {"since": since, "until": until, "actor": actor, "category": category}
    details = {k: v for k, v in filters.items() if v is not None}
    audited(
        store, "log.read.events", READ_EVENTS, {"kind": "log", "name": "events"}, details=details
    )
    rows = list_events(
        store.engine,
        since=since,
        until=until,
        actor=actor_values(store, actor) if actor else None,
        category=category,
        limit=limit,
        after_seq=after,
        with_payload=as_json,
    )
    if as_json:
        print_json(rows)
        return
    table = Table(header_style="bold cyan")
    for column in (
        "seq",
        "event time",
        "type",
        "categories",
        "actor",
        "sent by",
        "job",
        "run",
        "inputs",
        "outputs",
    ):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["seq"]),
            when(r["event_time"]),
            r["event_type"],
            ",".join(r["categories"]),
            r["actor"] or "-",
            r["submitter"] or "-",
            r["job"] or "-",
            short(r["run_id"]),
            "\n".join(r["inputs"]),
            "\n".join(r["outputs"]),
        )
    console.print(table)


def verify_command(
    db: Db = None,
    public_key: Annotated[
        list[str] | None,
        typer.Option(
            "--public-key",
            help="Check signed heads under this Ed25519 public key (hex) instead of the local "
            "signing key; repeat for several.",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Check the whole log: hash chain, Merkle tree, signed tree heads. Exit 1 naming what fails."""
    store = open_store(db)
    # Authorize, verify, then record: the check must see the log as it found it, and an append
    # the tree refuses (the log's tail was cut) must not stop the report that says so.
    who = permit(store, "log.verify", VERIFY, VERIFY_TARGET)
    trusted = None
    if public_key:
        keys = [public_key_from_hex(k) for k in public_key]
        trusted = {public_key_id(k): k for k in keys}
    report = verify_log(store.engine, trusted=trusted, keys=getattr(store, "keys", None))
    try:
        record_user_action(store, who, "log.verify", VERIFY_TARGET)
    except AuditError as exc:
        err_console.print(f"[yellow]warning[/]: this check could not be recorded in the log: {exc}")
    if as_json:
        print_json(report_json(report))
    elif report.ok:
        _print_intact(report)
    else:
        _print_tampered(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_intact(report: IntegrityReport) -> None:
    chain, tree = report.chain, report.tree
    console.print(
        f"[green]intact[/]: {chain.entries} entries, "
        f"chain head {chain.head_hash[:16]}… at seq {chain.head_seq}"
    )
    console.print(
        f"tree: {tree.size} leaves, root {tree.recomputed_root.hex()[:16]}…, "
        "equal to the root recomputed from the entries"
    )
    console.print(_heads_line(report))
    archive = report.archive
    if archive.segments:
        console.print(
            f"archived: {archive.segments} segment(s) holding {archive.entries} entries, bridged "
            f"by their signed boundaries; {archive.files_checked} archive file(s) checked",
            highlight=False,
        )
    if archive.files_missing:
        # Not a verify failure (archives move to cold storage), but their content is not here.
        console.print(
            f"[yellow]{len(archive.files_missing)} archive file(s) missing[/]: "
            + ", ".join(archive.files_missing),
            highlight=False,
            soft_wrap=True,
        )


def _heads_line(report: IntegrityReport) -> str:
    heads = report.heads
    if heads.latest is None:
        return "signed heads: none yet (`mlaudit checkpoint` signs one)"
    latest = heads.latest
    state = "matches the tree" if heads.latest_ok else "does NOT match"
    return (
        f"signed heads: {heads.count}, signatures and consistency "
        f"{'verified' if heads.ok else 'FAILED'}; latest {latest.label()} {state}"
    )


def _print_tampered(report: IntegrityReport) -> None:
    chain, tree, heads = report.chain, report.tree, report.heads
    if chain.ok:
        err_console.print(f"chain: intact, {chain.entries} entries")
    else:
        first = chain.problems[0]
        err_console.print(
            f"[bold red]TAMPERED[/]: first bad entry is seq {first.seq} "
            f"({first.kind}): {first.detail}"
        )
        for p in chain.problems[1:10]:
            err_console.print(f"  also seq {p.seq} ({p.kind}): {p.detail}")
    if tree.ok:
        err_console.print(f"tree: {tree.size} leaves, consistent with the entries")
    for p in tree.problems:
        err_console.print(f"[bold red]TAMPERED[/] tree ({p.kind}): {p.detail}", highlight=False)
    if tree.differing_nodes > 1:
        err_console.print(f"  {tree.differing_nodes} stored nodes differ from the recomputation")
    if heads.ok:
        err_console.print(_heads_line(report))
    for p in heads.problems:
        err_console.print(f"[bold red]TAMPERED[/] heads ({p.kind}): {p.detail}", highlight=False)


def ingest_command(
    path: Annotated[
        str,
        typer.Argument(
            help="File of OpenLineage events (JSON array or JSON Lines), or - for stdin."
        ),
    ],
    batch_size: Annotated[int, typer.Option(help="Events per transaction.")] = 1000,
    url: Annotated[
        str | None,
        typer.Option(help="Send to a running `mlaudit serve` at this URL instead of --db."),
    ] = None,
    token: Annotated[
        str | None, typer.Option(help="API token for --url.", envvar="MLAUDIT_TOKEN")
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Import OpenLineage events. Any invalid event rejects the whole file: nothing is written."""
    text = sys.stdin.read() if path == "-" else _read(path)
    events = parse_event_text(text, source=path)
    try:
        if url:
            from lineage.api.client import send_events  # httpx only when sending

            sent = send_events(url, token, events, batch_size)
            stored, duplicates = sent["stored"], sent["duplicates"]
        else:
            store = open_store(db)
            who = current_principal(store)
            authorize(who, WRITE_EVENTS)
            submitter = who.name if who.kind == "user" else None
            result = store.ingest_many(events, batch_size=batch_size, submitter=submitter)
            stored, duplicates = result.stored, result.duplicates
    except InvalidEventsError as exc:
        if as_json:
            print_json(_rejection(exc, len(events)))
        _report_invalid(exc, path)
        raise typer.Exit(1) from exc
    summary = {"events": len(events), "stored": stored, "duplicates": duplicates}
    if as_json:
        print_json(summary)
    else:
        console.print(f"{path}: {stored} stored, {duplicates} already present (of {len(events)})")


def _read(path: str) -> str:
    file = Path(path)
    if not file.is_file():
        fail(f"{path}: no such file")
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})")


def _rejection(exc: InvalidEventsError, count: int) -> dict[str, Any]:
    """What --json prints for a refused file: every invalid event (numbered from 1 in the file's
    order, as the text report numbers them) with its violations; nothing was stored."""
    rejected = [
        {
            "event": r.index + 1,
            "violations": [{"path": v.path, "message": v.message} for v in r.violations],
        }
        for r in exc.rejected
    ]
    return {"ok": False, "events": count, "stored": 0, "duplicates": 0, "rejected": rejected}


def _report_invalid(exc: InvalidEventsError, path: str) -> None:
    err_console.print(
        f"[bold red]error:[/] {path}: {len(exc.rejected)} invalid event(s); nothing was written"
    )
    for rejected in exc.rejected[:20]:
        for violation in rejected.violations[:10]:
            err_console.print(
                f"  event {rejected.index + 1}: {violation.path}: {violation.message}",
                highlight=False,
            )


def rebuild_command(db: Db = None) -> None:
    """Recreate every projection from the log alone (the log is the evidence)."""
    store = open_store(db)
    audited(store, "log.rebuild", MAINTAIN, {"kind": "log", "name": "projections"})
    count = rebuild_projections(store.engine)
    console.print(f"rebuilt projections from {count} log entries")


def register(app: typer.Typer) -> None:
    app.command("events")(events_command)
    app.command("verify")(verify_command)
    app.command("ingest")(ingest_command)
    app.command("rebuild")(rebuild_command)
