"""Find-or-create helpers for projection rows, cached for one batch.

They run under the single-writer lock, so a read followed by an insert cannot race another writer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from lineage.models import Actor, Dataset, DatasetVersion, Job


class RowCache:
    """Ids of jobs, datasets and actors already looked up in this batch."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.jobs: dict[tuple[str, str], int] = {}
        self.datasets: dict[tuple[str, str], int] = {}
        self.actors: dict[str, int] = {}

    def job_id(self, namespace: str, name: str, when: str, job_type: str | None) -> int:
        key = (namespace, name)
        if key not in self.jobs:
            extra = {"first_seen": when, "job_type": job_type}
            self.jobs[key] = self._find_or_create(
                Job, {"namespace": namespace, "name": name}, extra
            )
        return self.jobs[key]

    def dataset_id(self, namespace: str, name: str, when: str) -> int:
        key = (namespace, name)
        if key not in self.datasets:
            natural = {"namespace": namespace, "name": name}
            extra = {"created_at": when, "facets": {}}
            self.datasets[key] = self._find_or_create(Dataset, natural, extra)
        return self.datasets[key]

    def actor_id(self, name: str, kind: str, when: str) -> int:
        if name not in self.actors:
            extra = {"kind": kind, "first_seen": when}
            self.actors[name] = self._find_or_create(Actor, {"name": name}, extra)
        return self.actors[name]

    def _find_or_create(self, model: type, natural: dict[str, Any], extra: dict[str, Any]) -> int:
        """The id of the row with this natural key, inserting it (with `extra`) when absent."""
        table = model.__table__  # type: ignore[attr-defined]
        query = select(table.c.id).where(*(table.c[k] == v for k, v in natural.items()))
        found = self.conn.execute(query).scalar()
        if found is None:
            inserted = self.conn.execute(insert(table).values(**natural, **extra))
            found = inserted.inserted_primary_key[0]
        return found

    def update_dataset(self, dataset_id: int, **values: Any) -> None:
        table = Dataset.__table__
        self.conn.execute(update(table).where(table.c.id == dataset_id).values(**values))


def find_version(conn: Connection, dataset_id: int, version: str) -> dict[str, Any] | None:
    table = DatasetVersion.__table__
    row = conn.execute(
        select(table).where(table.c.dataset_id == dataset_id, table.c.version == version)
    ).first()
    return dict(row._mapping) if row else None


def latest_version_at(conn: Connection, dataset_id: int, when: str) -> int | None:
    """The newest version of a dataset that existed at `when` (for inputs that name none)."""
    table = DatasetVersion.__table__
    return conn.execute(
        select(table.c.id)
        .where(table.c.dataset_id == dataset_id, table.c.created_at <= when, table.c.version != "")
        .order_by(table.c.created_at.desc(), table.c.id.desc())
        .limit(1)
    ).scalar()


def insert_version(conn: Connection, dataset_id: int, version: str, when: str, **extra: Any) -> int:
    values = {"dataset_id": dataset_id, "version": version, "created_at": when, "facets": {}}
    values.update(extra)
    return conn.execute(insert(DatasetVersion.__table__).values(**values)).inserted_primary_key[0]
