"""The lineage graph: jobs, runs, datasets, dataset versions and the edges between them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    namespace: str = Field(max_length=512)
    name: str = Field(max_length=512)
    job_type: str | None = Field(default=None, max_length=64)
    first_seen: str = Field(max_length=32)


class Run(SQLModel, table=True):
    __tablename__ = "runs"

    run_id: str = Field(primary_key=True, max_length=64)
    job_id: int = Field(foreign_key="jobs.id", index=True)
    parent_run_id: str | None = Field(default=None, max_length=64, index=True)
    state: str = Field(max_length=16)
    started_at: str | None = Field(default=None, max_length=32)
    ended_at: str | None = Field(default=None, max_length=32)
    last_event_time: str = Field(max_length=32)
    # Not indexed: nothing looks these rows up by actor (migration 0017).
    actor_id: int | None = Field(default=None, foreign_key="actors.id")
    facets: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    first_seq: int
    last_seq: int


class Dataset(SQLModel, table=True):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    namespace: str = Field(max_length=512)
    name: str = Field(max_length=1024)
    kind: str = Field(default="DATASET", max_length=32, index=True)
    created_at: str = Field(max_length=32)
    deleted_at: str | None = Field(default=None, max_length=32)
    facets: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DatasetVersion(SQLModel, table=True):
    """A node of the graph. `version` is '' for a dataset known only as an unversioned input."""

    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("dataset_id", "version"),
        Index("ix_dataset_versions_dataset_created", "dataset_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="datasets.id")
    version: str = Field(max_length=256)
    created_at: str = Field(max_length=32)
    # Not indexed: nothing looks versions up by their producing run (migration 0018).
    run_id: str | None = Field(default=None, max_length=64)
    seq: int | None = None
    facets: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RunInput(SQLModel, table=True):
    """Edge: a run read a dataset version."""

    __tablename__ = "run_inputs"
    __table_args__ = (Index("ix_run_inputs_version_run", "version_id", "run_id"),)

    run_id: str = Field(primary_key=True, max_length=64)
    version_id: int = Field(primary_key=True, foreign_key="dataset_versions.id")
    event_time: str = Field(max_length=32)
    seq: int


class RunOutput(SQLModel, table=True):
    """Edge: a run wrote a dataset version."""

    __tablename__ = "run_outputs"
    __table_args__ = (Index("ix_run_outputs_version_run", "version_id", "run_id"),)

    run_id: str = Field(primary_key=True, max_length=64)
    version_id: int = Field(primary_key=True, foreign_key="dataset_versions.id")
    event_time: str = Field(max_length=32)
    seq: int


class VersionEdge(SQLModel, table=True):
    """Derivation: a run read `parent` and wrote `child`. Kept by database triggers on
    run_inputs and run_outputs (migration 0010), so the lineage walks follow only the reads that
    led somewhere; most reads (notebooks, dashboards) write nothing. `event_time` is when the
    edge became true: the later of the read and the write."""

    __tablename__ = "version_edges"
    # The upstream walk follows the first index; on PostgreSQL the downstream walk reads a
    # dataset's edges from the second alone (migration 0013), on SQLite it follows the primary
    # key (parent first; the table is that key's b-tree, no rowid) level by level.
    __table_args__ = (
        Index("ix_version_edges_up", "child_version_id", "event_time", "parent_version_id"),
        Index(
            "ix_version_edges_down",
            "parent_dataset_id",
            "event_time",
            "parent_version_id",
            "child_version_id",
            "child_dataset_id",
        ).ddl_if(dialect="postgresql"),
        {"sqlite_with_rowid": False},
    )

    parent_version_id: int = Field(primary_key=True, foreign_key="dataset_versions.id")
    child_version_id: int = Field(primary_key=True, foreign_key="dataset_versions.id")
    run_id: str = Field(primary_key=True, max_length=64)
    event_time: str = Field(max_length=32)
    child_dataset_id: int  # a version never changes dataset: impact groups edges by it
    parent_dataset_id: int  # the downstream walk reads edges by the datasets it reaches
