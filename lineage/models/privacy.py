"""Tables of the privacy feature: the identity vault and the fingerprints of the keys in use.

Neither is evidence: the log holds only pseudonyms. The vault is deliberately NOT append-only, so
erasing a person can destroy their key material (crypto-shredding) while the log stays intact.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel


class VaultEntry(SQLModel, table=True):
    """The identity behind one pseudonym, encrypted; after erasure only the tombstone remains."""

    __tablename__ = "privacy_vault"

    pseudonym: str = Field(primary_key=True, max_length=64)
    pseudonym_key_id: str = Field(max_length=32)
    vault_key_id: str = Field(max_length=32)
    # nonce || AES-GCM(vault key, per-person data key); NULL once erased.
    wrapped_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # nonce || AES-GCM(data key, identity); NULL once erased.
    ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: str = Field(max_length=32)
    erased_at: str | None = Field(default=None, max_length=32)


class KeyFingerprint(SQLModel, table=True):
    """Which key material produced a key id in this store, so a second key under the same id
    (another keys folder) is refused instead of silently splitting one person's pseudonyms."""

    __tablename__ = "privacy_keys"

    purpose: str = Field(primary_key=True, max_length=16)
    key_id: str = Field(primary_key=True, max_length=32)
    fingerprint: str = Field(max_length=64)
    first_used: str = Field(max_length=32)
