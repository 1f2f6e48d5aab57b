"""query_performance: the first `create` of a dataset by a partial index

Revision ID: 0009
Revises: 0008

The projector asks, for every dataset a batch names, for its first `create` row in data_access
(`action = 'create' ORDER BY event_time LIMIT 1`). Through the (dataset_id, event_time) index
that walks the dataset's reads in time order until the create, and reads outnumber writes, so
the cost grew with a dataset's history. A partial index holds only the creates: one probe.
SQLite and PostgreSQL both use it for the literal `action = 'create'` the query carries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CREATES = "ix_data_access_dataset_create"


def upgrade() -> None:
    op.create_index(
        CREATES,
        "data_access",
        ["dataset_id", "event_time"],
        postgresql_where=sa.text("action = 'create'"),
        sqlite_where=sa.text("action = 'create'"),
    )


def downgrade() -> None:
    op.drop_index(CREATES, table_name="data_access")
