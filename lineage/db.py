"""Engines and schema migrations for the audit store (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy import exc as exc_module
from sqlalchemy.engine import make_url

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own lock alone
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
WRITER_OPTION = "mlaudit_writer"
# Any constant will do; it only has to be the same for every writer of one database.
WRITER_LOCK_KEY = 0x6D6C61756469
WRITER_LOCK_SQL = f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})"
# A pooled PostgreSQL connection used this recently is handed out without a ping: the ping is a
# round trip, a fifth of a one-event ingest's. Older ones are pinged (and replaced if dead).
PING_AFTER_IDLE_S = 1.0
# SQLite's default page cache is 2 MiB: the log's key index takes random keys (SHA-256), so past a
# few hundred thousand entries nearly every insert missed the cache.
SQLITE_CACHE_KIB = 65_536
# The page size a new SQLite store is created with (SQLite's default is 4,096; a store keeps the
# size it was created with: WAL mode cannot change it). A batch dirties whole pages of the log,
# whose rows take a few KB each, and of a dozen indexes; half as many pages of twice the size
# took 5-10% less of the writer's CPU and 11% less disk (docs/PERFORMANCE.md, twenty-fourth round).
SQLITE_PAGE_SIZE = 8192
# Writers checkpoint the WAL in their COMMIT past this many bytes of pages (SQLite's default is
# 1,000 pages). The store's ingest checkpoints in a thread beside it (lineage.checkpointer); this
# is the backstop for processes without one, or when that thread falls behind.
SQLITE_WAL_BACKSTOP_BYTES = 32 << 20
# Compiled statements a SQLite connection keeps by their text (the sqlite3 module's default is
# 128): an append's lookups come in a few dozen shapes (lineage.projection.sql.shape) beside its
# inserts and updates, and one compiled anew costs more than running it.
SQLITE_STATEMENT_CACHE = 512
SQLITE_BUSY_TIMEOUT_S = 30  # a writer waits this long for another's transaction, then fails
# Writers of a SQLite file also hold an flock on this file beside it, for the whole transaction
# (writer_transaction). SQLite lets the next writer in as soon as COMMIT drops its lock, before
# the committer's automatic checkpoint has run, and a write begun then keeps the WAL from being
# restarted: with two `mlaudit serve` workers taking turns the WAL only grew (34.5 MB after 5,000
# events, 4.6-5.1 MB with one process) and every COMMIT checkpointed again. Held until COMMIT
# and its checkpoint return, the flock lets the next writer in when the WAL can restart (4.8 MB).
# SQLite's lock remains the guarantee: a writer without the flock is still excluded by it.
WRITER_FLOCK_SUFFIX = "-writer.lock"
FLOCK_POLL_S = (0.0001, 0.001)  # first and longest pause between tries for a taken flock


def normalize_url(url: str) -> str:
    """Pick psycopg 3 for bare PostgreSQL URLs, so users can paste the usual form."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


# No parallel workers for the store's queries: they are index lookups over hundreds to thousands
# of ids, where starting workers and hashing a whole table in each (PostgreSQL's choice once a
# plan may go parallel) cost more than the answer. A trace's run lookup at 1M events on 2 cores:
# 61 ms of execution with a parallel hash join over all jobs, 13.6 ms without (EXPLAIN ANALYZE,
# docs/PERFORMANCE.md). Sent as a startup option: no extra round trip per connection.
POSTGRES_SESSION = {"options": "-c max_parallel_workers_per_gather=0"}


def create_store_engine(url: str) -> Engine:
    """An engine tuned for the store: WAL and busy waits on SQLite, pooled on PostgreSQL."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {
            "timeout": SQLITE_BUSY_TIMEOUT_S,
            "check_same_thread": False,
            "cached_statements": SQLITE_STATEMENT_CACHE,
        }
        engine = create_engine(url, connect_args=connect_args)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10, connect_args=POSTGRES_SESSION)
    event.listen(engine, "connect", _statements_prepared_by_the_store)
    event.listen(engine, "before_cursor_execute", _outside_the_pipeline)
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "checkin", _mark_used)
    return engine


def _statements_prepared_by_the_store(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    """psycopg 3 prepares nothing on the store's connections; the append's pipeline
    (lineage.projection.libpq_pipeline) prepares its own statements. psycopg, once it has
    prepared a statement, answers every rollback with DEALLOCATE ALL, which would drop the
    pipeline's too; the pipeline prepares only where psycopg does not."""
    if hasattr(dbapi_conn, "prepare_threshold"):
        dbapi_conn.prepare_threshold = None


def _outside_the_pipeline(conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
    """psycopg knows nothing of the store's own pipeline on a connection
    (lineage.projection.libpq_pipeline) and would wait forever for an answer the pipeline
    reads; a statement sent through SQLAlchemy meanwhile is refused instead."""
    from lineage.projection.libpq_pipeline import active

    if active(conn.connection.driver_connection) is not None:
        raise RuntimeError(f"a SQLAlchemy statement inside the store's pipeline: {statement[:80]}")


def _ping_if_idle(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
    """pool_pre_ping, for connections idle PING_AFTER_IDLE_S or more: SQLAlchemy's pessimistic
    disconnect handling (a DisconnectionError makes the pool retry with a new connection)."""
    if time.monotonic() - record.info.get(_USED, 0.0) < PING_AFTER_IDLE_S:
        return
    try:
        _ping(dbapi_conn)
    except Exception as exc:  # any failure of "SELECT 1" means this connection is unusable
        raise exc_module.DisconnectionError() from exc


def _ping(dbapi_conn) -> None:  # type: ignore[no-untyped-def]
    """SELECT 1 in autocommit mode: a ping that began a transaction would hand the connection
    out inside it, where writer_transaction(lock=False) leaves BEGIN to its caller."""
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    try:
        cursor = dbapi_conn.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
    finally:
        dbapi_conn.autocommit = autocommit


def _mark_used(_dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
    if record is not None:
        record.info[_USED] = time.monotonic()


_USED = "mlaudit_last_used"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # before WAL: only a new file takes it
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.execute(f"PRAGMA wal_autocheckpoint={wal_backstop_pages(cur)}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def wal_backstop_pages(cursor: sqlite3.Cursor) -> int:
    """SQLITE_WAL_BACKSTOP_BYTES in pages of the database the cursor's connection opened (a
    store keeps the page size it was created with)."""
    cursor.execute("PRAGMA page_size")
    return SQLITE_WAL_BACKSTOP_BYTES // cursor.fetchone()[0]


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the database's write lock up front (no upgrade deadlocks); readers stay deferred.
    writer = conn.get_execution_options().get(WRITER_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


@contextmanager
def writer_transaction(engine: Engine, *, lock: bool = True) -> Iterator[Connection]:
    """A transaction that holds the store's single-writer lock until it commits.

    lock=False (PostgreSQL): the caller's first statements must begin the transaction (when
    `begin_left_to_caller`) and take the lock (WRITER_LOCK_SQL), which lets both travel with
    the caller's first reads (lineage.append.read_state). psycopg begins a transaction by
    waiting for its BEGIN, a round trip of its own (about a twentieth of a one-event append),
    so the connection stays in autocommit mode until the caller's BEGIN; SQLAlchemy restores
    the mode when the connection goes back to the pool. COMMIT and ROLLBACK go to the driver
    as always, which sends them for the transaction the caller began.
    """
    with engine.connect() as conn:
        options: dict[str, object] = {WRITER_OPTION: True}
        driver = conn.connection.driver_connection
        if not lock and hasattr(driver, "pipeline") and _idle(driver):  # psycopg 3, no SQLite
            options["isolation_level"] = "AUTOCOMMIT"
        conn = conn.execution_options(**options)
        with _flock(_flock_path(engine)), conn.begin():
            if lock and conn.dialect.name == "postgresql":
                conn.exec_driver_sql(WRITER_LOCK_SQL)
            yield conn


def begin_left_to_caller(conn: Connection) -> bool:
    """Whether writer_transaction(lock=False) left BEGIN to the caller and nothing began yet."""
    driver = conn.connection.driver_connection
    return bool(getattr(driver, "autocommit", False)) and _idle(driver)


def _idle(driver: object) -> bool:
    """A psycopg 3 connection outside any transaction (IDLE, not INTRANS, INERROR...)."""
    status = getattr(getattr(driver, "info", None), "transaction_status", None)
    return getattr(status, "name", None) == "IDLE"


def sqlite_file(engine: Engine) -> str | None:
    """The absolute path of a SQLite store's file; None for in-memory databases, URI names and
    PostgreSQL."""
    if engine.dialect.name != "sqlite" or engine.url.query.get("mode") == "memory":
        return None
    return _sqlite_file_of(engine.url.database)


@lru_cache(maxsize=64)
def _sqlite_file_of(database: str | None) -> str | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


def _flock_path(engine: Engine) -> str | None:
    """The writers' lock file beside a SQLite database file."""
    path = sqlite_file(engine)
    return path + WRITER_FLOCK_SUFFIX if path and fcntl is not None else None


@contextmanager
def _flock(path: str | None) -> Iterator[None]:
    """Hold an exclusive flock on `path` (None: nothing), waiting as long as SQLite would.

    A descriptor per hold: flocks of different descriptors exclude each other, between the
    threads of one process too. The wait polls because a blocking flock cannot time out.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644) if path else None
    except OSError:  # a folder this process may not create in: SQLite's lock alone
        fd = None
    if fd is None:
        yield
        return
    try:
        _take_flock(fd, time.monotonic() + SQLITE_BUSY_TIMEOUT_S)
        yield
    finally:
        os.close(fd)  # releases the flock


def _take_flock(fd: int, deadline: float) -> None:
    pause = FLOCK_POLL_S[0]
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:  # what SQLite's busy timeout raises
                busy = sqlite3.OperationalError("database is locked")
                raise exc_module.OperationalError("BEGIN IMMEDIATE", None, busy) from None
        time.sleep(pause)
        pause = min(2 * pause, FLOCK_POLL_S[1])


@contextmanager
def pipelined_commit(conn: Connection, wanted: bool = True) -> Iterator[None]:
    """psycopg 3: send the statements inside, and the COMMIT, without waiting for each answer.

    Only reads whose rows are fetched wait (lineage.projection.sql runs them as such); the
    writes go as they are made and are answered with the next read or the COMMIT. SQLAlchemy
    statements are refused inside (the pipeline is the store's own, on libpq: psycopg would wait
    for answers it never reads). The COMMIT is sent only when the body completes; SQLAlchemy's
    own commit after it finds nothing left to do.
    """
    from lineage.projection.sql import Sql  # the projection's package imports this module

    sql = Sql(conn)
    if not wanted or not sql.psycopg3:  # SQLite, psycopg2
        yield
        return
    with sql.pipeline():
        yield
        sql.execute("COMMIT")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (`alembic upgrade head`); a store already at it
    is only read."""
    if schema_revision(engine) == schema_head():
        return
    from alembic import command  # only with something to do: see schema_head
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@lru_cache(maxsize=1)
def schema_head() -> str:
    """The newest migration's revision, read from the versions' file names (`NNNN_what.py`
    declares revision NNNN; a test holds the two together). A store already there is opened
    without alembic, whose import and environment took a fifth of a second of every command."""
    names = (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    return max(path.name[:4] for path in names)


def schema_revision(engine: Engine) -> str | None:
    """The store's schema revision as alembic recorded it (None: none, or several)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except exc_module.DBAPIError:  # no such table: a new store
        return None
    return rows[0][0] if len(rows) == 1 else None
