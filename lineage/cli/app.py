"""The `mlaudit` entry point: core commands here, others contributed by installed packages.

Packages that depend on the core (the Dagster pipelines, the app) add their own commands through
the `mlaudit.commands` entry-point group, so the core never imports them.
"""

from __future__ import annotations

import logging
import sys
from importlib.metadata import entry_points

import typer

from lineage.cli import (
    commands_accounts,
    commands_findings,
    commands_governance,
    commands_integrity,
    commands_lineage,
    commands_log,
    commands_privacy,
    commands_reports,
    commands_retention,
    commands_serve,
)
from lineage.cli.output import fail, print_json
from lineage.errors import AuditError

JSON_FLAG = "--json"
app = typer.Typer(
    name="mlaudit",
    help="Tamper-evident audit trail for ML data, models and users.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: typer's panels label every flag `<bool>`, as if it took a value. As wide
    # as the terminal allows, up to 120 columns, so command summaries are not cut at 80.
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},
)
for module in (
    commands_lineage,
    commands_log,
    commands_integrity,
    commands_privacy,
    commands_accounts,
    commands_serve,
    commands_findings,
    commands_governance,
    commands_reports,
    commands_retention,
):
    module.register(app)


_loaded: set[str] = set()  # entry points already registered: loading twice adds nothing


def _load_plugins() -> None:
    for entry in entry_points(group="mlaudit.commands"):
        if entry.value in _loaded:
            continue
        try:
            register = entry.load()
        except ImportError as exc:
            # A broken optional package must not take the core commands down with it.
            logging.getLogger(__name__).warning(
                "commands from %s unavailable: %s", entry.value, exc
            )
            continue
        register(app)
        _loaded.add(entry.value)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _load_plugins()
    try:
        app()
    except AuditError as exc:
        if JSON_FLAG in sys.argv[1:]:  # a script reading stdout learns what went wrong too
            print_json({"ok": False, "error": str(exc), "kind": type(exc).__name__})
        fail(str(exc))
    except KeyboardInterrupt:
        sys.exit(130)
