"""Retention tables: legal holds, and the archived segments of the log (see lineage/retention).

`archived_segments` is append-only (triggers, migration 0008) and each row is signed with the
store's Ed25519 key, because it is what licenses the deletion of log rows: the log's own trigger
lets a DELETE through only inside a recorded segment. `legal_holds` is not evidence (every hold
and release is an audit event); a release updates its row.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel


class LegalHold(SQLModel, table=True):
    """Log entries matching every given criterion are kept, past their retention, until release."""

    __tablename__ = "legal_holds"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    category: str | None = Field(default=None, max_length=32)
    since: str | None = Field(default=None, max_length=32)  # event time, inclusive
    until: str | None = Field(default=None, max_length=32)  # event time, inclusive
    subject: str | None = Field(default=None, max_length=1024)  # a pseudonym or a dataset
    placed_at: str = Field(max_length=32)
    placed_by: str = Field(max_length=128)  # pseudonym of the person
    placed_seq: int | None = None  # the audit event that recorded it
    released_at: str | None = Field(default=None, max_length=32, index=True)
    released_by: str | None = Field(default=None, max_length=128)
    release_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    released_seq: int | None = None


class ArchivedSegment(SQLModel, table=True):
    """Entries first_seq .. end_seq - 1, written to an archive file and removed from the log."""

    __tablename__ = "archived_segments"

    id: int | None = Field(default=None, primary_key=True)
    first_seq: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    end_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    prev_hash: str = Field(max_length=64)  # entry_hash of first_seq - 1 (zeros for seq 1)
    last_hash: str = Field(max_length=64)  # entry_hash of end_seq - 1
    leaves_root: str = Field(max_length=64)  # RFC 6962 hash of the segment's leaves
    head_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    head_root: str = Field(max_length=64)
    file_path: str = Field(sa_column=Column(Text, nullable=False))
    file_sha256: str = Field(max_length=64)
    archived_at: str = Field(max_length=32)
    key_id: str = Field(max_length=64)
    signature: str = Field(max_length=128)
    event_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
