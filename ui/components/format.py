"""How values read on screen: short times, short ids, tables that never run off the page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd


def when(value: str | None) -> str:
    """Store times to the second, in UTC (said once in each page's caption)."""
    return value[:19].replace("T", " ") if value else "-"


def short(value: str | None, keep: int = 8) -> str:
    return value[:keep] if value else "-"


def who(actor: str | None) -> str:
    """Pseudonyms are long; the first 12 hex digits identify a person among millions."""
    if not actor:
        return "-"
    if actor.startswith("psn:"):
        return actor[: actor.rfind(":") + 13] + "…"
    return actor


def label(namespace: str, name: str) -> str:
    """`namespace/name`, or the URI of a file dataset."""
    if name.startswith("/") and "://" not in namespace:
        return f"{namespace}://{name}"
    return f"{namespace}/{name}"


def version(value: str | None) -> str:
    if not value:
        return "-"
    return value if len(value) <= 20 else value[:16] + "…"


def frame(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame of exactly `columns` (missing keys read as empty)."""
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))


def params(values: dict[str, Any] | None, *, digits: int | None = None) -> str:
    """`k=v, ...`: metrics rounded to `digits`, hyperparameters exactly as recorded."""
    if not values:
        return ""
    return ", ".join(
        f"{k}={v:.{digits}f}" if digits is not None and isinstance(v, float) else f"{k}={v}"
        for k, v in sorted(values.items())
    )
