"""`mlaudit ui`: the app, served by Streamlit on 127.0.0.1 (a plugin of the `mlaudit` command)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

APP = Path(__file__).with_name("app.py")


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """The server command: headless, local only, no telemetry, no stack traces shown to users."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--client.showErrorDetails",
        "none",
        # Streamlit collects the whole heap after every script run by default: 120-390 ms each
        # on a server holding a deep trace of a 1M store (gc.callbacks), with the GIL held.
        # Python's own thresholds collect instead. (The slowest traces were the browser's:
        # docs/PERFORMANCE.md, twelfth and thirteenth rounds.)
        "--runner.postScriptGC",
        "false",
    ]


def ui_command(
    port: Annotated[int, typer.Option(help="Port to serve the app on (127.0.0.1 only).")] = 8501,
) -> None:
    """Start the audit app on http://127.0.0.1:PORT; sign in with an mlaudit account."""
    from lineage.settings import Settings

    settings = Settings.from_env()
    typer.echo(
        f"mlaudit app on http://127.0.0.1:{port} (audit store: {_safe(settings.database_url)}); "
        "Ctrl-C stops it."
    )
    command = streamlit_command(port)
    # Become the server (no child left behind): signals reach Streamlit itself.
    os.execv(command[0], command)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.command("ui")(ui_command)
