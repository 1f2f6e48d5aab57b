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
            table = Job.__table__
            found = self.conn.execute(
                select(table.c.id).where(table.c.namespace == namespace, table.c.name == name)
            ).scalar()
            if found is None:
                values = {"namespace": namespace, "name": name, "first_seen": when}
                values["job_type"] = job_type
                found = self.conn.execute(insert(table).values(**values)).inserted_primary_key[0]
            self.jobs[key] = found
        return self.jobs[key]

    def dataset_id(self, namespace: str, name: str, when: str) -> int:
        key = (namespace, name)
        if key not in self.datasets:
            table = Dataset.__table__
            found = self.conn.execute(
                select(table.c.id).where(table.c.namespace == namespace, table.c.name == name)
            ).scalar()
            if found is None:
                values = {"namespace": namespace, "name": name, "created_at": when, "facets": {}}
                found = self.conn.execute(insert(table).values(**values)).inserted_primary_key[0]
            self.datasets[key] = found
        return self.datasets[key]

    def actor_id(self, name: str, kind: str, when: str) -> int:
        if name not in self.actors:
            table = Actor.__table__
            found = self.conn.execute(select(table.c.id).where(table.c.name == name)).scalar()
            if found is None:
                values = {"name": name, "kind": kind, "first_seen": when}
                found = self.conn.execute(insert(table).values(**values)).inserted_primary_key[0]
            self.actors[name] = found
        return self.actors[name]

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
