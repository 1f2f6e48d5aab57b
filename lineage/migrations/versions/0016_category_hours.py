"""category_hours: entries per hour and category, kept with the log for the activity chart

Revision ID: 0016
Revises: 0015

The Overview's chart counted `entry_categories` joined to the log over the span it shows: 1.2-2.1
s for all time at a million entries on SQLite. The append now keeps these counts
(lineage.category_hours) and the chart sums them. This revision creates the table and counts
the entries already stored, in its transaction; the statement is spelled out here, as it stood,
rather than imported, so the revision does not change when the code does. Downgrading drops it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLE = "category_hours"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("hour", sa.String(length=13), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "category"),
        sqlite_with_rowid=False,  # the key is the row: one B-tree to search and update, not two
    )
    op.execute(
        f"INSERT INTO {TABLE} (hour, category, entries) "
        "SELECT substr(l.event_time, 1, 13), c.category, COUNT(*) "
        "FROM entry_categories c JOIN audit_log l ON l.seq = c.seq "
        "GROUP BY substr(l.event_time, 1, 13), c.category"
    )


def downgrade() -> None:
    op.drop_table(TABLE)
