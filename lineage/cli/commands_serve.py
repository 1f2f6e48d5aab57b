"""`mlaudit serve`: the HTTP API (OpenLineage's /api/v1/lineage and the audit questions)."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage.api.settings import (
    DEFAULT_HOST,
    DEFAULT_MAX_BODY,
    DEFAULT_PORT,
    DEFAULT_WORKERS,
    MAX_WORKERS,
    workers_problem,
)
from lineage.cli.output import Db
from lineage.settings import Settings

WORKERS_HELP = (
    "Worker processes sharing the port, at most one per core. 1 (the default) serves from this "
    "process alone. Writes still go one transaction at a time through the store's writer lock "
    "and each worker's transactions group fewer requests, so a second worker costs 15-30% more "
    "CPU per event and pays only where a core would otherwise sit idle. Each worker has its own "
    "connection pool (up to 15 PostgreSQL connections) and token cache. Needs a database file "
    "or PostgreSQL."
)


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = DEFAULT_PORT,
    max_body: Annotated[
        int,
        typer.Option(
            "--max-body", help="Largest request body in bytes, also after gzip.", min=1024
        ),
    ] = DEFAULT_MAX_BODY,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every request (costs throughput).")
    ] = False,
    tls_cert: Annotated[
        str | None, typer.Option("--tls-cert", help="PEM certificate: serve HTTPS.")
    ] = None,
    tls_key: Annotated[str | None, typer.Option("--tls-key", help="PEM private key.")] = None,
    workers: Annotated[
        int, typer.Option("--workers", help=WORKERS_HELP, min=1, max=MAX_WORKERS)
    ] = DEFAULT_WORKERS,
    db: Db = None,
) -> None:
    """Serve the HTTP API: OpenLineage producers POST to /api/v1/lineage with an API token.

    Point an OpenLineage HTTP transport at http://HOST:PORT (endpoint api/v1/lineage, auth
    api_key = a token from `mlaudit tokens create`). OpenAPI: /openapi.json.
    """
    # Checked before anything opens the store or binds the port.
    problem = workers_problem(db or Settings.from_env().database_url, workers)
    if problem:
        raise typer.BadParameter(problem, param_hint="'--workers'")
    # FastAPI and uvicorn load only for this command, so the rest of the CLI stays quick.
    from lineage.api.server import serve

    serve(
        db,
        host=host,
        port=port,
        max_body=max_body,
        access_log=access_log,
        tls_cert=tls_cert,
        tls_key=tls_key,
        workers=workers,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
