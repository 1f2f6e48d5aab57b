"""Engines and schema migrations for the audit store (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
WRITER_OPTION = "mlaudit_writer"
# Any constant will do; it only has to be the same for every writer of one database.
WRITER_LOCK_KEY = 0x6D6C61756469
# SQLite's default page cache is 2 MiB: the log's key index takes random keys (SHA-256), so past a
# few hundred thousand entries nearly every insert missed the cache.
SQLITE_CACHE_KIB = 65_536


def normalize_url(url: str) -> str:
    """Pick psycopg 3 for bare PostgreSQL URLs, so users can paste the usual form."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def create_store_engine(url: str) -> Engine:
    """An engine tuned for the store: WAL and busy waits on SQLite, pooled on PostgreSQL."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the database's write lock up front (no upgrade deadlocks); readers stay deferred.
    writer = conn.get_execution_options().get(WRITER_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


@contextmanager
def writer_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the store's single-writer lock until it commits."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITER_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")
            yield conn


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (`alembic upgrade head`)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


# The tables the lineage queries join; their plans depend on row counts.
STATISTICS_TABLES = (
    "audit_log", "runs", "jobs", "datasets", "dataset_versions", "run_inputs", "run_outputs",
    "data_access", "actors", "evaluations", "deployments",
)  # fmt: skip
STATISTICS_FROM = 1024  # entries; below this every plan is fast


def statistics_due(before: int, after: int) -> bool:
    """Whether the log grew past a power of two (from STATISTICS_FROM) between two sizes."""
    return after >= STATISTICS_FROM and before.bit_length() < after.bit_length()


def refresh_statistics(engine: Engine) -> None:
    """ANALYZE the query tables on PostgreSQL (SQLite plans these queries well without).

    Autovacuum does this where it runs, but it can be off (it is on the benchmark machine) or
    behind a bulk load: without statistics PostgreSQL took tables of 100,000 edges for empty
    and hash-joined them by sequential scan (300 ms a trace step instead of 0.1 ms).
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"ANALYZE {', '.join(STATISTICS_TABLES)}")
        conn.commit()
