"""`mlaudit ui`: registered as a plugin command, serving the app headless on 127.0.0.1 only."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from ui.cli import APP, streamlit_command


def test_the_command_is_a_registered_plugin() -> None:
    plugins = {e.name: e.value for e in entry_points(group="mlaudit.commands")}
    assert plugins["ui"] == "ui.cli:register"
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "ui", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "--port" in done.stdout and "127.0.0.1" in done.stdout


def test_the_server_is_local_headless_and_shows_no_tracebacks() -> None:
    command = streamlit_command(8765)
    assert command[1:5] == ["-m", "streamlit", "run", str(APP)]
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8765"
    assert options["--server.headless"] == "true"
    assert options["--browser.gatherUsageStats"] == "false"
    assert options["--client.showErrorDetails"] == "none"
