"""`mlaudit reveal | erase`: pseudonyms and the identities behind them."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Filled in by the feature's commands."""
