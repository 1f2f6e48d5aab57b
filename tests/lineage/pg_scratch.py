"""A PostgreSQL database with one table of the test's own, for tests of the store's libpq calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Engine

from lineage.db import create_store_engine


@contextmanager
def scratch_engine(url: str, ddl: str) -> Iterator[Engine]:
    """A store engine on `url` (its connections set up as the store's are), after `ddl`."""
    engine = create_store_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(ddl)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def psycopg_connection(engine: Engine) -> Iterator[psycopg.Connection]:
    """The psycopg connection under one of the engine's pooled connections."""
    with engine.connect() as conn:
        yield conn.connection.driver_connection  # type: ignore[misc]
