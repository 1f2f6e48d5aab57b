"""`mlaudit demo`, `up`, `run` and `review`: commands the Dagster side adds to the `mlaudit` CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lineage.cli.output import Db, time_option

if TYPE_CHECKING:
    from lineage.settings import Settings


def demo_command(
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete the audit home first (store, instance, files).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
    plain: Annotated[
        bool,
        typer.Option(
            "--plain",
            help="Only the scenario: no accounts, routine history, staged incidents or reviews.",
        ),
    ] = False,
) -> None:
    """Run the example ML pipelines as several users, capture them, and trace the deployed model;
    then stage incidents and run the reviews that find them (see docs/REVIEWS.md)."""
    import warnings

    from dagster import BetaWarning

    from lineage.settings import Settings

    # The example pipeline uses Dagster's beta observable source assets on purpose.
    warnings.filterwarnings("ignore", category=BetaWarning)
    from audit_pipelines.demo import run_demo

    settings = Settings.from_env()
    if reset and settings.home.exists():
        shutil.rmtree(settings.home)
    run_demo(settings, as_json=as_json, staged=not plain)


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


def run_command(
    job: Annotated[str, typer.Argument(help="Job name, e.g. training_pipeline.")],
    as_user: Annotated[
        str, typer.Option("--as", help="The person launching it (run tag dagster/user).")
    ],
    config: Annotated[
        Path | None, typer.Option("--config", help="Run config as a JSON file.")
    ] = None,
    db: Db = None,
) -> None:
    """Launch a pipeline job in a user's name and capture it into the audit log."""
    from audit_pipelines.launch import launch_as
    from lineage.cli.output import console, fail
    from lineage.cli.session import current_principal
    from lineage.store import AuditStore

    settings = _settings(db)
    store = AuditStore.open(settings.database_url)
    run_config = _read_config(config) if config else None
    run_id, ok, emitted = launch_as(
        settings, store, current_principal(store), job, as_user, run_config
    )
    console.print(
        f"run {run_id} of {job} as {as_user}: {'succeeded' if ok else 'FAILED'}; "
        f"{emitted} audit events captured"
    )
    if not ok:
        fail(f"run {run_id} failed: see Dagster's run log", code=1)


def review_command(
    jobs: Annotated[
        list[str] | None,
        typer.Option(
            "--job",
            help="Review to run (repeatable): integrity, completeness, policies, anomalies, "
            "retention. Default: all.",
        ),
    ] = None,
    since: Annotated[
        str | None, time_option("Start of the period (ISO-8601). Default: the beginning.")
    ] = None,
    until: Annotated[str | None, time_option("End of the period. Default: now.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    db: Db = None,
) -> None:
    """Run the review jobs now, as the Dagster schedules do, and record their findings."""
    from audit_pipelines.instance import open_instance
    from audit_pipelines.review.run import REVIEW_NAMES, run_review_jobs
    from lineage.authz import RUN_REVIEWS
    from lineage.cli.output import console, fail, print_json
    from lineage.cli.session import permit
    from lineage.review.context import ReviewWindow
    from lineage.store import AuditStore
    from lineage.timeutil import now_store_time, to_store_time

    names = list(dict.fromkeys(jobs or []))
    unknown = [name for name in names if name not in REVIEW_NAMES]
    if unknown:
        fail(f"no review named {', '.join(unknown)}; reviews: {', '.join(REVIEW_NAMES)}")
    window = ReviewWindow(
        since=to_store_time(since) if since else None,  # checked by the options
        until=to_store_time(until) if until else now_store_time(),
    )
    settings = _settings(db)
    store = AuditStore.open(settings.database_url)
    target = {"kind": "review", "name": ",".join(names or REVIEW_NAMES)}
    principal = permit(store, "review.run", RUN_REVIEWS, target)
    run = run_review_jobs(store, open_instance(settings.home), names, window, principal)
    if as_json:
        print_json(run.as_dict())
    else:
        period = f"{window.since} .. {window.until}" if window.since else f"up to {window.until}"
        console.print(f"[bold]Reviews[/] of the log {period}:")
        for result in run.results:
            status = f"[red]FAILED[/] {result.error}" if result.error else "ok"
            console.print(
                f"  {result.name:<13} {result.opened} opened, {result.seen_again} seen again, "
                f"{result.reopened} reopened  {status}",
                highlight=False,
            )
        console.print("Read them with `mlaudit findings`.")
    if not run.ok:
        raise typer.Exit(1)


def _settings(db: str | None) -> Settings:
    """The environment's settings, with the store `--db` names, if it names one."""
    from lineage.settings import Settings

    settings = Settings.from_env()
    return replace(settings, database_url=db) if db else settings


def _read_config(path: Path) -> dict:
    import json

    from lineage.cli.output import fail

    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"{path}: cannot read run config: {exc}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
    app.command("review")(review_command)
    app.command("run")(run_command)
    app.command("up")(up_command)
