"""Findings of the periodic reviews: one row per fingerprint, with its triage status.

The status columns mirror the finding's audit events (opened, reopened, acknowledged, resolved):
`transitions` counts the events applied so far, which names the next one (see
lineage.findings.transitions). `status_by` is the actor as the log holds it: a pseudonym for a
person, the name of a service. "Seen again" moves only last_seen, occurrences and last_review.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel


class Finding(SQLModel, table=True):
    __tablename__ = "findings"

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16, index=True)
    rule: str = Field(max_length=128)
    severity: str = Field(max_length=16, index=True)
    subject: str = Field(max_length=512)
    title: str = Field(max_length=512)
    explanation: str = Field(sa_column=Column(Text, nullable=False))
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    occurred_at: str | None = Field(default=None, max_length=32)
    first_seen: str = Field(max_length=32)
    last_seen: str = Field(max_length=32, index=True)
    occurrences: int = 1
    status: str = Field(max_length=16, index=True)
    status_changed_at: str = Field(max_length=32)
    status_by: str = Field(max_length=256)
    resolution_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_review: str = Field(max_length=128)
    opened_seq: int
    status_seq: int
    transitions: int = 1
