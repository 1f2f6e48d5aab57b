"""`mlaudit demo` and `mlaudit up`: commands the Dagster side adds to the `mlaudit` CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Annotated

import typer


def demo_command(
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the audit home first (store, instance, files).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
) -> None:
    """Run the example ML pipelines as several users, capture them, and trace the deployed model."""
    import warnings

    from dagster import BetaWarning

    from lineage.settings import Settings

    # The example pipeline uses Dagster's beta observable source assets on purpose.
    warnings.filterwarnings("ignore", category=BetaWarning)
    from audit_pipelines.demo import run_demo

    settings = Settings.from_env()
    if reset and settings.home.exists():
        shutil.rmtree(settings.home)
    run_demo(settings, as_json=as_json)


def up_command(
    port: Annotated[int, typer.Option(help="Port of Dagster's webserver.")] = 3000,
) -> None:
    """Start Dagster's webserver and daemon on the example pipelines (the capture sensor runs)."""
    from audit_pipelines.instance import dagster_home
    from lineage.settings import Settings

    home = dagster_home(Settings.from_env().home)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    command = [
        dagster,
        "dev",
        "-m",
        "audit_pipelines.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    typer.echo(f"Dagster on http://127.0.0.1:{port} (DAGSTER_HOME={home}); Ctrl-C stops it.")
    raise typer.Exit(subprocess.call(command, env=env))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
    app.command("up")(up_command)
