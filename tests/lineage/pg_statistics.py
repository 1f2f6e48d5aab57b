"""Which of the store's tables have planner statistics, for the tests of refreshing them."""

from __future__ import annotations

from sqlalchemy import Engine, bindparam, text

ANALYZED = text(
    "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN :tables AND last_analyze IS NOT NULL"
).bindparams(bindparam("tables", expanding=True))


VACUUMED = text(
    "SELECT relname FROM pg_stat_user_tables WHERE last_vacuum IS NOT NULL ORDER BY relname"
)


def vacuumed(engine: Engine) -> list[str]:
    """The tables VACUUMed by hand (not by autovacuum), by name."""
    with engine.connect() as conn:
        return list(conn.execute(VACUUMED).scalars())


def analyzed_count(engine: Engine, tables: list[str]) -> int:
    """How many of `tables` have been ANALYZEd (by name, in the connected database)."""
    with engine.connect() as conn:
        return int(conn.execute(ANALYZED, {"tables": tables}).scalar_one())
