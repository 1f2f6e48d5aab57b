"""run_ids_unindexed: no index on dataset_versions.run_id nor evaluations.run_id

Revision ID: 0018
Revises: 0017

As in 0017, indexes no question asks: the store joins from a version or an evaluation to its
run by the run's key, and finds a run's outputs through `run_outputs`; no statement of the test
suite's, explained on SQLite, used either index, and the projection's own lookups (which go to
the driver directly, lineage.projection.load) find versions by dataset and version. Run ids in
time order (UUIDv7) land at their end, but each still costs the append an entry, and random run
ids (older clients, the Dagster capture's uuid5-derived ones) land anywhere. What that costs is
within this machine's spread: appending 20,000 generator events to a store of 300,000 on SQLite,
four alternations each, medians with the indexes against without: 9,043 and 9,337 events/s, then
8,940 and 8,697 (UUIDv7 run ids); 6,359 and 6,614 (random run ids). Dropped as indexes nothing
reads, not for a measured gain. Downgrading restores both.
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

DROPPED = (
    ("ix_dataset_versions_run_id", "dataset_versions"),
    ("ix_evaluations_run_id", "evaluations"),
)


def upgrade() -> None:
    for name, table in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table in DROPPED:
        op.create_index(name, table, ["run_id"])
