"""`mlaudit checkpoint | prove`: signed tree heads and Merkle proofs."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Filled in by the feature's commands."""
