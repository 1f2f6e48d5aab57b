"""Shared CLI plumbing: opening the store, printing JSON or tables, failing clearly."""

from __future__ import annotations

import json
import shutil
import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from lineage.store import AuditStore
from lineage.timeutil import to_store_time

# Piped output is read in wide terminals and logs: do not squeeze tables into 80 columns.
_WIDTH = shutil.get_terminal_size((160, 40)).columns
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)

DB_HELP = "Database URL (default: MLAUDIT_DATABASE_URL, else SQLite under MLAUDIT_HOME)."
# The options most commands take, spelled once.
Db = Annotated[str | None, typer.Option("--db", help=DB_HELP)]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def iso_time(value: str | None) -> str | None:
    """Option callback: a time must parse before anything runs, and the error names the option."""
    if value is None:
        return None
    try:
        to_store_time(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO-8601 time (e.g. 2026-11-28, 2026-11-28T14:30:00Z)"
        ) from None
    return value


def time_option(help_text: str, *names: str) -> Any:
    """A typer option holding an ISO-8601 time, checked by `iso_time`."""
    return typer.Option(*names, help=help_text, callback=iso_time)


def open_store(db: str | None) -> AuditStore:
    return AuditStore.open(db)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(code)


def short(run_id: str | None) -> str:
    return run_id[:8] if run_id else "-"


def dataset_label(namespace: str, name: str) -> str:
    """`namespace/name`, or a URI when the name is an absolute path (`file:///data/x.csv`)."""
    if name.startswith("/") and "://" not in namespace:
        return f"{namespace}://{name}"
    return f"{namespace}/{name}"


def when(value: str | None) -> str:
    """Store times shown to people: seconds are enough, the full value is in --json."""
    return value[:19].replace("T", " ") if value else "-"
