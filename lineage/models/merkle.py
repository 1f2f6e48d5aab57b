"""Tables of the Merkle tree over the log, and of the signed tree heads. Both are append-only.

The node storage scheme (post-order positions) is described in `lineage.merkle.layout`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary
from sqlmodel import Field, SQLModel

# INTEGER PRIMARY KEY is SQLite's rowid itself: node reads are one B-tree lookup, no extra index.
POSITION = BigInteger().with_variant(Integer(), "sqlite")


class MerkleNode(SQLModel, table=True):
    """The root hash of one complete subtree (a leaf at level 0), at its post-order position."""

    __tablename__ = "merkle_nodes"

    pos: int = Field(sa_column=Column(POSITION, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class TreeHead(SQLModel, table=True):
    """A signed "the log had `tree_size` entries and this root" (see lineage.merkle.heads)."""

    __tablename__ = "tree_heads"

    id: int | None = Field(default=None, primary_key=True)
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: str = Field(max_length=64)
    signed_at: str = Field(max_length=32)
    key_id: str = Field(max_length=64)
    public_key: str = Field(max_length=64)
    signature: str = Field(max_length=128)
