"""findings of the periodic reviews, with their triage status

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXED = ("kind", "severity", "last_seen", "status")


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(512), nullable=False),
        sa.Column("title", sa.String(512), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.String(32), nullable=True),
        sa.Column("first_seen", sa.String(32), nullable=False),
        sa.Column("last_seen", sa.String(32), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_changed_at", sa.String(32), nullable=False),
        sa.Column("status_by", sa.String(256), nullable=False),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("last_review", sa.String(128), nullable=False),
        sa.Column("opened_seq", sa.Integer(), nullable=False),
        sa.Column("status_seq", sa.Integer(), nullable=False),
        sa.Column("transitions", sa.Integer(), nullable=False),
    )
    for column in INDEXED:
        op.create_index(f"ix_findings_{column}", "findings", [column])


def downgrade() -> None:
    for column in INDEXED:
        op.drop_index(f"ix_findings_{column}", table_name="findings")
    op.drop_table("findings")
