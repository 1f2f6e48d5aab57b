"""Issued compliance reports (see lineage/report). Append-only: an issued report is evidence."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel


class ComplianceReport(SQLModel, table=True):
    """One signed report: its period, digest, signature, the head it names, and its JSON body.

    `body` is the canonical (RFC 8785) text that was signed, so the envelope is rebuilt exactly.
    """

    __tablename__ = "compliance_reports"

    id: int | None = Field(default=None, primary_key=True)
    period_since: str = Field(max_length=32, index=True)
    period_until: str = Field(max_length=32, index=True)
    generated_at: str = Field(max_length=32)
    generated_by: str = Field(max_length=128)
    sha256: str = Field(max_length=64, unique=True)
    signature: str = Field(max_length=128)
    key_id: str = Field(max_length=64)
    public_key: str = Field(max_length=64)
    head_size: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    head_id: int | None = Field(default=None)
    body: str = Field(sa_column=Column(Text, nullable=False))
