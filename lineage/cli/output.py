"""Shared CLI plumbing: opening the store, printing JSON or tables, failing clearly."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

from rich.console import Console

from lineage.store import AuditStore

console = Console()
err_console = Console(stderr=True)

DB_HELP = "Database URL (default: MLAUDIT_DATABASE_URL, else SQLite under MLAUDIT_HOME)."


def open_store(db: str | None) -> AuditStore:
    return AuditStore.open(db)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(code)


def short(run_id: str | None) -> str:
    return run_id[:8] if run_id else "-"


def when(value: str | None) -> str:
    """Store times shown to people: seconds are enough, the full value is in --json."""
    return value[:19].replace("T", " ") if value else "-"
