"""Find the dataset or model version a user names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from lineage.errors import NotFoundError
from lineage.models import Dataset, DatasetVersion


def resolve_dataset(
    conn: Connection, name: str, *, namespace: str | None = None, kind: str | None = None
) -> dict[str, Any]:
    """A dataset by name (and namespace when the name alone is ambiguous)."""
    table = Dataset.__table__
    query = select(table).where(table.c.name == name)
    if namespace:
        query = query.where(table.c.namespace == namespace)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    if kind and len(rows) > 1:
        rows = [r for r in rows if r["kind"] == kind] or rows
    if not rows:
        where = f" in namespace {namespace!r}" if namespace else ""
        raise NotFoundError(f"no dataset or model named {name!r}{where} in the audit log")
    if len(rows) > 1:
        spaces = ", ".join(sorted(r["namespace"] for r in rows))
        raise NotFoundError(f"{name!r} exists in several namespaces ({spaces}): pass --namespace")
    return rows[0]


def resolve_version(
    conn: Connection, dataset: dict[str, Any], version: str | None, as_of: str | None
) -> dict[str, Any]:
    """The named version, or the newest produced version (at `as_of` when given)."""
    table = DatasetVersion.__table__
    query = select(table).where(table.c.dataset_id == dataset["id"])
    if version is not None:
        row = conn.execute(query.where(table.c.version == version)).first()
        if row is None:
            raise NotFoundError(f"{dataset['name']!r} has no version {version!r}")
        return dict(row._mapping)
    query = query.where(table.c.run_id.is_not(None))
    if as_of:
        query = query.where(table.c.created_at <= as_of)
    row = conn.execute(
        query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(1)
    ).first()
    if row is None:
        when = f" as of {as_of}" if as_of else ""
        raise NotFoundError(f"{dataset['name']!r} has no produced version{when}")
    return dict(row._mapping)
