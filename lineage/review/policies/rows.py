"""Reading the projections for the policies: window bounds, rows as dicts, JSON columns."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import TextClause, bindparam, text

from lineage.review.context import ReviewContext

BEGINNING = "0001-01-01T00:00:00.000000Z"


def window(ctx: ReviewContext) -> dict[str, str]:
    return {"since": ctx.window.since or BEGINNING, "until": ctx.window.until}


def fetch(ctx: ReviewContext, query: TextClause, **params: Any) -> list[dict[str, Any]]:
    """Rows as dicts. An empty list for an `IN` parameter selects nothing, without asking."""
    if any(isinstance(value, list) and not value for value in params.values()):
        return []
    with ctx.store.engine.connect() as conn:
        result = conn.execute(query, params)
        columns = list(result.keys())  # once: asking each row for its keys doubles the cost
        return [dict(zip(columns, row, strict=True)) for row in result]


def expanding(sql: str, *names: str) -> TextClause:
    """A query whose `IN :name` parameters take a list (one query for a whole set)."""
    return text(sql).bindparams(*(bindparam(name, expanding=True) for name in names))


def as_json(value: Any) -> Any:
    # Raw SQL on SQLite hands JSON columns back as text; psycopg parses them.
    return json.loads(value) if isinstance(value, str) else value


def label(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def ids(rows: Iterable[dict[str, Any]], key: str) -> list[Any]:
    """Distinct non-null values of a column, for an expanding `IN`."""
    return sorted({row[key] for row in rows if row[key] is not None})
