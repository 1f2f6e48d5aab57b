"""`mlaudit users | tokens`: accounts, roles and API tokens."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Filled in by the feature's commands."""
