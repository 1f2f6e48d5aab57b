"""log_key_by_time: the log's idempotency key is unique with the event's time in front

Revision ID: 0015
Revises: 0014

The key (SHA-256 of the canonical event) is random, so every append put an entry into its
unique index at a random place: in a 1M-event store each event of a 1,000-event batch dirtied a
page of that index of its own (1,408 of the 5,827 SQLite pages one batch changed; on PostgreSQL
the index read most of all, 7.2 buffers an event, with a full-page image in the WAL for each
page first touched after a checkpoint). The pair (event_time, key) refuses exactly the same
rows: the key hashes the canonical event, which holds its time, and `event_time` is derived from
that time, so an equal key means an equal time. Events arrive roughly in time order, so the
pair's index grows at its end, as the plain `event_time` index it replaces did (range scans by
time use the pair's first column). 20,000 events in time order into copies of a 1M-event store,
batches of 1,000, alternated twice: SQLite 232-251 -> 184-214 us an event (its COMMIT 79-84 ->
38-47), PostgreSQL 209-222 -> 190-198 (server CPU 113-119 -> 96-98 us, WAL 11.2-11.6 -> 7.9-8.5
KB an event); one event per call unchanged (docs/PERFORMANCE.md, thirteenth round).

PostgreSQL drops the key's constraint and builds the new index (seconds at 1M entries). SQLite
cannot drop a table's UNIQUE constraint, so the log is rebuilt in this migration's transaction:
its rows are copied aside, the table dropped and created again without the constraint, and the
rows copied back, every value as it was (100 s for 1M entries on the benchmark machine).
Copying back, rather than renaming a copy into place, is what keeps `entry_categories`' foreign
key satisfied: dropping the table counts its rows' references as deferred violations, and only
inserting the parents again settles them. The append-only triggers and the other indexes are
made again from their stored definitions. Downgrading does the reverse.
"""

from __future__ import annotations

import re

from alembic import op
from sqlalchemy import Connection, text

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLE = "audit_log"
PAIR_INDEX = "ux_audit_log_event_time_key"
TIME_INDEX = "ix_audit_log_event_time"
KEY_CONSTRAINT = "audit_log_key_key"  # PostgreSQL's name for 0001's unnamed UNIQUE (key)
KEY_CLAUSE = re.compile(r',\s*UNIQUE \("key"\)')
ASIDE = "audit_log_rebuild"


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        table = _stored(conn, "table", TABLE)[0]
        if len(KEY_CLAUSE.findall(table)) != 1:
            raise RuntimeError(f"{TABLE}'s stored definition has no single UNIQUE (key): {table}")
        _rebuild(conn, KEY_CLAUSE.sub("", table), drop=TIME_INDEX)
        op.execute(f"CREATE UNIQUE INDEX {PAIR_INDEX} ON {TABLE} (event_time, key)")
        return
    op.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {KEY_CONSTRAINT}")
    op.execute(f"CREATE UNIQUE INDEX {PAIR_INDEX} ON {TABLE} (event_time, key)")
    op.execute(f"DROP INDEX {TIME_INDEX}")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        table = _stored(conn, "table", TABLE)[0]
        end = table.rstrip().rindex(")")
        _rebuild(conn, f'{table[:end].rstrip()}, \n\tUNIQUE ("key")\n)', drop=PAIR_INDEX)
        op.execute(f"CREATE INDEX {TIME_INDEX} ON {TABLE} (event_time)")
        return
    op.execute(f"CREATE INDEX {TIME_INDEX} ON {TABLE} (event_time)")
    op.execute(f"DROP INDEX {PAIR_INDEX}")
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {KEY_CONSTRAINT} UNIQUE (key)")


def _stored(conn: Connection, kind: str, name: str | None = None) -> list[str]:
    """Stored definitions: the named object's, or those of `kind` on the log (SQLite)."""
    query = "SELECT sql FROM sqlite_schema WHERE type = :kind AND sql IS NOT NULL AND "
    query += "name = :name" if name else "tbl_name = :table ORDER BY name"
    return list(conn.execute(text(query), {"kind": kind, "name": name, "table": TABLE}).scalars())


def _rebuild(conn: Connection, definition: str, *, drop: str) -> None:
    """Make the log again under `definition`, every row as it was, with its indexes (but
    `drop`) and triggers."""
    indexes = [sql for sql in _stored(conn, "index") if not _names(sql, drop)]
    triggers = _stored(conn, "trigger")
    count = conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar_one()
    op.execute("PRAGMA defer_foreign_keys = ON")  # until this transaction commits
    op.execute(f"CREATE TEMP TABLE {ASIDE} AS SELECT * FROM {TABLE}")
    op.execute(f"DROP TABLE {TABLE}")
    op.execute(definition)
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM temp.{ASIDE} ORDER BY seq")
    op.execute(f"DROP TABLE temp.{ASIDE}")
    for sql in indexes + triggers:
        op.execute(sql)
    copied = conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar_one()
    if copied != count:  # the transaction rolls back: nothing is half-done
        raise RuntimeError(f"{TABLE} rebuilt with {copied} rows of {count}")


def _names(sql: str, index: str) -> bool:
    return re.match(rf"CREATE (UNIQUE )?INDEX {index} ", sql) is not None
