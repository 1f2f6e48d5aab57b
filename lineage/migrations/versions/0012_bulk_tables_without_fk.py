"""bulk_tables_without_fk: PostgreSQL checks no foreign keys on the projection's bulk tables

Revision ID: 0012
Revises: 0011

PostgreSQL checks a foreign key with a trigger that runs a query for every inserted row and key.
For the tables that take several rows per event (data access, run inputs and outputs, runs, the
log's categories) that was a fifth of batch ingest. Statement times of 10 batches of 1,000
generator events (seed 7, after 10,000 loaded), before and after this revision: COPY data_access
54.4 -> 12.7 ms a batch, entry_categories 23.6 -> 9.8, run_inputs 20.4 -> 11.6 (its
version_edges trigger stays), runs 18.7 -> 8.1, run_outputs 9.1 -> 8.4; the append of a batch
388 -> 315 ms.

What the checks guarded is held elsewhere: these rows are written only by the projector, under
the writer lock, in the transaction that appends the entries they describe, with ids it has
just read or drawn; `mlaudit rebuild` derives them all again from the log. A failed check would
have refused the audit event itself, which for an audit log is the worse outcome.

SQLite keeps its foreign keys (it checks them inside the insert, at no cost measured, see
docs/PERFORMANCE.md), and the models still declare them, as the description of how the tables
relate. Downgrading adds the constraints again under PostgreSQL's default names,
checking every stored row.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# (table, column, referenced table.column)
KEYS = (
    ("data_access", "dataset_id", "datasets.id"),
    ("data_access", "version_id", "dataset_versions.id"),
    ("data_access", "actor_id", "actors.id"),
    ("run_inputs", "version_id", "dataset_versions.id"),
    ("run_outputs", "version_id", "dataset_versions.id"),
    ("runs", "job_id", "jobs.id"),
    ("runs", "actor_id", "actors.id"),
    ("entry_categories", "seq", "audit_log.seq"),
)
FOREIGN_KEYS = text(
    "SELECT conrelid::regclass::text, conname FROM pg_constraint"
    " WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables)"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    tables = sorted({table for table, _, _ in KEYS})
    for table, name in bind.execute(FOREIGN_KEYS, {"tables": tables}).all():
        op.drop_constraint(name, table, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, target in KEYS:
        referred, key = target.split(".")
        op.create_foreign_key(f"{table}_{column}_fkey", table, referred, [column], [key])
