"""Accounts and API tokens. Login names are stored as pseudonyms; secrets only as hashes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Account(SQLModel, table=True):
    """A person or service allowed to use the audit log.

    `subject` is the pseudonym of the login name (the name itself lives only encrypted in the
    privacy vault), so the accounts table holds no plaintext personal data either.
    """

    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=128, unique=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    projects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="active", max_length=16)
    password_hash: str | None = Field(default=None, max_length=256)
    created_at: str = Field(max_length=32)
    updated_at: str = Field(max_length=32)


class ApiToken(SQLModel, table=True):
    """A bearer token: a public id to find it and the SHA-256 of its high-entropy secret."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    token_id: str = Field(max_length=32, unique=True)
    account_id: int = Field(foreign_key="accounts.id", index=True)
    secret_hash: str = Field(max_length=64)
    label: str = Field(default="", max_length=128)
    created_at: str = Field(max_length=32)
    expires_at: str | None = Field(default=None, max_length=32)
    revoked_at: str | None = Field(default=None, max_length=32)

    def public(self) -> dict[str, Any]:
        return {
            "token_id": self.token_id,
            "label": self.label,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
        }
