"""actor_ids_unindexed: no index on runs.actor_id nor data_access.actor_id; actorless access by time

Revision ID: 0017
Revises: 0016

No query looks rows of `runs` or `data_access` up by actor id: the store joins from those rows to
`actors` by its key, and filters them by time (every SELECT naming an actor that the test suite
runs, explained on both databases, used neither index but for one branch below; the
projection's own lookups, which go to the driver directly, find actors by name). Yet each event
adds an entry to both, at a place set by its actor: with thousands of actors every batch
dirtied as many pages of each index, a cost that grows with the store. Appending 20,000
generator events to a store of 300,000 on SQLite, three alternations: 8,119-8,713 events/s
before this revision, 9,109-9,454 after.

The one use was the access profile's branch for accesses whose event named no actor (lineage.
review.anomalies.access), which looked them up by `actor_id IS NULL`. A partial index holds just
those rows, by time, so that branch stays a probe and costs nothing for accesses with an actor.
Downgrading restores the two indexes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

DROPPED = (("ix_runs_actor_id", "runs"), ("ix_data_access_actor_id", "data_access"))
ACTORLESS = "ix_data_access_actorless"


def upgrade() -> None:
    for name, table in DROPPED:
        op.drop_index(name, table_name=table)
    op.create_index(
        ACTORLESS,
        "data_access",
        ["event_time"],
        postgresql_where=sa.text("actor_id IS NULL"),
        sqlite_where=sa.text("actor_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(ACTORLESS, table_name="data_access")
    for name, table in DROPPED:
        op.create_index(name, table, ["actor_id"])
