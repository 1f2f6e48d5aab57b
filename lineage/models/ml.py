"""Audit projections: who did what to which data, evaluations and deployments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


class Actor(SQLModel, table=True):
    """A person or service identity behind runs and actions."""

    __tablename__ = "actors"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=256, unique=True)
    kind: str = Field(default="user", max_length=16)
    first_seen: str = Field(max_length=32)


class DataAccess(SQLModel, table=True):
    """One create, modify, read or delete of a dataset."""

    __tablename__ = "data_access"
    __table_args__ = (Index("ix_data_access_dataset_time", "dataset_id", "event_time"),)

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(index=True)
    dataset_id: int = Field(foreign_key="datasets.id")
    version_id: int | None = Field(default=None, foreign_key="dataset_versions.id")
    run_id: str | None = Field(default=None, max_length=64)
    # Not indexed: nothing looks these rows up by actor (migration 0017).
    actor_id: int | None = Field(default=None, foreign_key="actors.id")
    action: str = Field(max_length=16)
    event_time: str = Field(max_length=32)


class Evaluation(SQLModel, table=True):
    """Metrics and checks of one evaluation of a model version."""

    __tablename__ = "evaluations"

    id: int | None = Field(default=None, primary_key=True)
    seq: int
    # Not indexed: nothing looks evaluations up by run (migration 0018).
    run_id: str = Field(max_length=64)
    model_dataset_id: int = Field(foreign_key="datasets.id", index=True)
    model_version_id: int | None = Field(
        default=None, foreign_key="dataset_versions.id", index=True
    )
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    checks: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    event_time: str = Field(max_length=32)


class Deployment(SQLModel, table=True):
    """An interval during which a model version served in an environment."""

    __tablename__ = "deployments"
    __table_args__ = (
        Index("ix_deployments_model_env_from", "model_dataset_id", "environment", "valid_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    seq: int
    run_id: str = Field(max_length=64)
    environment: str = Field(max_length=128)
    model_dataset_id: int = Field(foreign_key="datasets.id")
    model_version_id: int | None = Field(
        default=None, foreign_key="dataset_versions.id", index=True
    )
    action: str = Field(max_length=16)
    previous_version: str | None = Field(default=None, max_length=256)
    target: str | None = Field(default=None, max_length=1024)
    valid_from: str = Field(max_length=32)
    valid_to: str | None = Field(default=None, max_length=32)
    actor_id: int | None = Field(default=None, foreign_key="actors.id")
