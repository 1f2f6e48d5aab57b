"""payload_lz4: new log payloads compressed with lz4 instead of pglz on PostgreSQL

Revision ID: 0011
Revises: 0010

A generator entry's payload is about 1.6 KB; rows over PostgreSQL's 2 KB TOAST threshold (about
half of them) have it compressed, and `verify` reads every payload back, so the server
decompresses half the log on the cores verify itself runs on. lz4 decompresses several times
faster than pglz. Measured on 200,000 generator events (seed 7) loaded three ways: the server's
CPU for the fast pass's reads, median of four, 6.72 us an entry with pglz, 5.40 with lz4, 5.32
uncompressed; storage 3,192, 3,206 and 3,811 bytes an event (bench/storage.py); batch ingest
of 30,000 events into a pglz and an lz4 store batch by batch in turn, 1,788 and 1,870 events/s
(server CPU 221 and 210 us an event).

Only rows written after this migration are compressed with lz4: the log is append-only, so
nothing rewrites the existing ones (`mlaudit rebuild` replays the log into the projections and
leaves the log itself alone); they stay pglz and read as before, as the method is recorded per
value. A dump and restore (pg_dump, pg_restore) writes every row anew, with lz4.

PostgreSQL only (SQLite does not compress), and only when the server was built with lz4
(`default_toast_compression` then offers it): otherwise this changes nothing and payloads stay
pglz. Downgrading returns the column to the server's default method, as before this revision.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection, text

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMN = "ALTER TABLE audit_log ALTER COLUMN payload SET COMPRESSION {method}"
# PostgreSQL 14+ lists lz4 among this setting's values only when built with it.
LZ4_AVAILABLE = text(
    "SELECT count(*) FROM pg_settings"
    " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


def lz4_available(conn: Connection) -> bool:
    """Whether this database can compress columns with lz4 (never on SQLite)."""
    return conn.dialect.name == "postgresql" and bool(conn.execute(LZ4_AVAILABLE).scalar())


def upgrade() -> None:
    if lz4_available(op.get_bind()):
        op.execute(COLUMN.format(method="lz4"))


def downgrade() -> None:
    if lz4_available(op.get_bind()):  # else upgrade changed nothing
        op.execute(COLUMN.format(method="DEFAULT"))
