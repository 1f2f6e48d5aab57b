"""privacy vault: encrypted identities behind pseudonyms, and key fingerprints

Revision ID: 0004
Revises: 0003

No append-only triggers here, on purpose: erasure overwrites vault rows (crypto-shredding).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_vault",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("pseudonym_key_id", sa.String(length=32), nullable=False),
        sa.Column("vault_key_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("erased_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("pseudonym"),
    )
    op.create_table(
        "privacy_keys",
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("first_used", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("purpose", "key_id"),
    )


def downgrade() -> None:
    op.drop_table("privacy_keys")
    op.drop_table("privacy_vault")
