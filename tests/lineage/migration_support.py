"""Running the store's alembic migrations to a given revision, for tests of one migration."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from lineage.db import MIGRATIONS


def alembic(engine: Engine, action: str, revision: str) -> None:
    """`alembic upgrade|downgrade <revision>` on `engine`'s database, in one transaction."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)
