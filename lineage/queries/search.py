"""Find datasets and models by what a person types, a few at a time: never a full list.

Project scopes (`ml_engineer` accounts) are glob patterns over `namespace/name`; they are pushed
into SQL as LIKE clauses so a LIMIT never hides allowed rows behind forbidden ones, then checked
again with fnmatch, the authority (`lineage.authz`).
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import Engine, and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from lineage.models import Dataset

DATASETS = Dataset.__table__
ESCAPE = "\\"
MAX_LIMIT = 200


def like_escape(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (its %, _ and \\ lose their meaning)."""
    for char in (ESCAPE, "%", "_"):
        text = text.replace(char, ESCAPE + char)
    return text


def glob_to_like(pattern: str) -> str | None:
    """An fnmatch pattern as LIKE, or None when it uses [...] classes LIKE cannot express."""
    if "[" in pattern:
        return None
    return like_escape(pattern).replace("*", "%").replace("?", "_")


def qualified_name() -> ColumnElement[str]:
    """`namespace/name`: the resource string authz patterns and the UI show."""
    return DATASETS.c.namespace + literal("/") + DATASETS.c.name


def scope_clause(patterns: Sequence[str] | None) -> ColumnElement[bool] | None:
    """SQL that keeps only datasets some pattern may match (None: no scope, everything)."""
    if patterns is None:
        return None
    likes = [glob_to_like(p) for p in patterns]
    if not likes:
        return literal(False)
    if any(like is None for like in likes):
        return None  # fnmatch alone decides, after the query
    return or_(*(qualified_name().like(like, escape=ESCAPE) for like in likes if like))


def in_scope(namespace: str, name: str, patterns: Sequence[str] | None) -> bool:
    if patterns is None:
        return True
    return any(fnmatchcase(f"{namespace}/{name}", p) for p in patterns)


def search_datasets(
    engine: Engine,
    text: str = "",
    *,
    kind: str | None = None,
    exclude_kind: str | None = None,
    patterns: Sequence[str] | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Datasets whose `namespace/name` contains `text` (case-insensitive), prefixes first.

    File datasets are named by absolute paths, so a plain prefix of the name would never find
    `breast_cancer.csv`; a contains-match costs the same scan as a case-insensitive prefix.
    Empty `text`: the most recently created ones, so a first visit shows something useful.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(
        DATASETS.c.namespace,
        DATASETS.c.name,
        DATASETS.c.kind,
        DATASETS.c.created_at,
        DATASETS.c.deleted_at,
    )
    clauses = _filters(text, kind, exclude_kind, patterns)
    if clauses:
        query = query.where(and_(*clauses))
    prefix = text.strip().lower()
    if prefix:
        starts = func.lower(DATASETS.c.name).like(like_escape(prefix) + "%", escape=ESCAPE)
        query = query.order_by(case((starts, 0), else_=1), DATASETS.c.name, DATASETS.c.namespace)
    else:
        query = query.order_by(DATASETS.c.created_at.desc(), DATASETS.c.id.desc())
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query.limit(limit))]
    return [r for r in rows if in_scope(r["namespace"], r["name"], patterns)]


def _filters(
    text: str, kind: str | None, exclude_kind: str | None, patterns: Sequence[str] | None
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    prefix = text.strip().lower()
    if prefix:
        like = "%" + like_escape(prefix) + "%"
        clauses.append(func.lower(qualified_name()).like(like, escape=ESCAPE))
    if kind:
        clauses.append(DATASETS.c.kind == kind)
    if exclude_kind:
        clauses.append(DATASETS.c.kind != exclude_kind)
    scope = scope_clause(patterns)
    if scope is not None:
        clauses.append(scope)
    return clauses
