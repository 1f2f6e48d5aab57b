"""`mlaudit --help` and every command's help, the installed packages' commands included: flags
show no value to type, and command summaries are not cut at 80 columns."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest
import typer
from typer.testing import CliRunner

from lineage.cli.app import _load_plugins, app


def _commands() -> list[list[str]]:
    """Every command's path, subcommands included."""
    _load_plugins()
    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(group: click.Group, path: list[str]) -> None:
        for name, command in group.commands.items():
            found.append([*path, name])
            if isinstance(command, click.Group):
                walk(command, [*path, name])

    walk(root, [])  # type: ignore[arg-type]
    assert {"demo", "review", "run", "up", "ui"} <= {path[0] for path in found}
    return found


@pytest.mark.parametrize("path", _commands(), ids=" ".join)
def test_flags_show_no_value_to_type(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help" in result.output


def test_the_command_list_is_as_wide_as_the_terminal() -> None:
    env = {**os.environ, "COLUMNS": "120"}
    shown = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "--help"], env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert "runs, users, evaluations, deployments." in shown.stdout  # cut at 80 columns before
    trace = CliRunner().invoke(app, ["trace", "--help"]).output
    assert ["--json", "Print", "JSON", "for", "machines."] in [
        line.split() for line in trace.splitlines()
    ]


def test_loading_the_packages_commands_again_adds_none() -> None:
    _load_plugins()
    before = len(app.registered_commands)
    _load_plugins()
    assert len(app.registered_commands) == before
