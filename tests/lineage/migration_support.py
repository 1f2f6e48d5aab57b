"""Running the store's alembic migrations to a given revision, for tests of one migration."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine

from lineage.db import MIGRATIONS
from lineage.models.log import CategoryHour

# The store's code adds to the hourly counts at every append (lineage.category_hours); that
# revision creates their table and counts what an older store already holds.
COUNTS_REVISION = 16


def alembic(engine: Engine, action: str, revision: str, *, keep_counts: bool = True) -> None:
    """`alembic upgrade|downgrade <revision>` on `engine`'s database, in one transaction.

    Tests ingest through today's store at older revisions too, and it writes the hourly counts:
    below their revision the table is kept as today's code needs it (the upgrade through that
    revision drops it first and counts every stored entry again, as it does for a real store);
    `keep_counts=False` leaves the schema exactly as the revisions make it."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        if action == "upgrade" and _below_counts(conn):
            CategoryHour.__table__.drop(conn, checkfirst=True)
        getattr(command, action)(cfg, revision)
        if keep_counts and _below_counts(conn):
            CategoryHour.__table__.create(conn, checkfirst=True)


def _below_counts(conn: Connection) -> bool:
    current = MigrationContext.configure(conn).get_current_revision()
    return current is not None and int(current) < COUNTS_REVISION
