"""The append-only audit log: the evidence every projection is derived from."""

from __future__ import annotations

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel


class LogEntry(SQLModel, table=True):
    """One stored event, chained to its predecessor by hash."""

    __tablename__ = "audit_log"
    # The idempotency key is unique with the event's time in front: a key alone is random, so
    # each append dirtied a page of its index anywhere in it, where keys by time go to the end
    # (migration 0015). The key is the hash of the canonical event, which holds its time, so an
    # equal key means an equal time and the pair refuses exactly what the key alone did.
    __table_args__ = (Index("ux_audit_log_event_time_key", "event_time", "key", unique=True),)

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    key: str = Field(max_length=64)
    received_at: str = Field(max_length=32)
    event_time: str = Field(max_length=32)
    event_type: str = Field(max_length=16)
    producer: str = Field(max_length=512)
    submitter: str | None = Field(default=None, max_length=128)
    job_namespace: str | None = Field(default=None, max_length=512)
    job_name: str | None = Field(default=None, max_length=512)
    run_id: str | None = Field(default=None, max_length=64, index=True)
    actor: str | None = Field(default=None, max_length=256, index=True)
    normalizations: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class EntryCategory(SQLModel, table=True):
    """Which audit categories an entry belongs to (one event can be several)."""

    __tablename__ = "entry_categories"
    __table_args__ = (Index("ix_entry_categories_category_seq", "category", "seq"),)

    seq: int = Field(primary_key=True, foreign_key="audit_log.seq")
    category: str = Field(primary_key=True, max_length=32)


class CategoryHour(SQLModel, table=True):
    """How many entries of a category the log holds per hour of event time (the store time's
    first 13 characters), kept by the append so charts of the log never count it
    (lineage.category_hours)."""

    __tablename__ = "category_hours"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the row (see migration 0016)

    hour: str = Field(primary_key=True, max_length=13)
    category: str = Field(primary_key=True, max_length=32)
    entries: int
