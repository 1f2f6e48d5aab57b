"""The floor the store is measured against: the same rows into a bare table, nothing else.

The rows are the store's own audit_log rows (canonical JSON payload, hashes, columns), read back
untimed, page by page, and inserted into a table with the same columns and no index, one
transaction per page: executemany on SQLite, COPY on PostgreSQL. What the store's own writes get
from the database, the floor gets too: on PostgreSQL the log's column types and compression
(lz4 for the payload, where the server's default may be pglz); on SQLite the store's
background WAL checkpoints, so no timed COMMIT copies the log into the database itself.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine

from lineage.append import LOG_COLUMNS
from lineage.checkpointer import WalCheckpointer
from lineage.db import SQLITE_BUSY_TIMEOUT_S, sqlite_file

TABLE = "bench_raw_log"
COLUMNS = ", ".join(LOG_COLUMNS)
TYPES = ", ".join(f"{c} {'BIGINT' if c == 'seq' else 'TEXT'}" for c in LOG_COLUMNS)
# Types, NOT NULL and each column's compression; no index, constraint or default.
POSTGRES_TABLE = f"CREATE TABLE {TABLE} (LIKE audit_log INCLUDING COMPRESSION)"


def raw_insert_seconds(engine: Engine, first_seq: int, last_seq: int, page: int = 1000) -> float:
    """Seconds spent inserting audit_log rows `first_seq`..`last_seq` into a bare table (which
    is dropped afterwards, so the store's size is not changed for long)."""
    if last_seq < first_seq:
        raise ValueError(f"empty range of entries: {first_seq}..{last_seq}")
    postgres = engine.dialect.name == "postgresql"
    path = sqlite_file(engine)
    checkpointer = WalCheckpointer(path, SQLITE_BUSY_TIMEOUT_S) if path else None
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        _execute(driver, POSTGRES_TABLE if postgres else f"CREATE TABLE {TABLE} ({TYPES})")
        spent = 0.0
        for start in range(first_seq, last_seq + 1, page):
            rows = _rows(driver, start, min(start + page - 1, last_seq))
            began = time.perf_counter()
            _copy(driver, rows) if postgres else _executemany(driver, rows)
            if checkpointer:
                checkpointer.appended(len(rows))
            spent += time.perf_counter() - began
        _execute(driver, f"DROP TABLE {TABLE}")
        return spent
    finally:
        raw.close()
        if checkpointer:
            checkpointer.close()


def _execute(driver: Any, sql: str) -> None:
    cursor = driver.cursor()
    cursor.execute(sql)
    cursor.close()
    driver.commit()


def _rows(driver: Any, first: int, last: int) -> list[tuple]:  # type: ignore[type-arg]
    cursor = driver.cursor()
    marks = ("%s", "%s") if _is_psycopg(driver) else ("?", "?")
    cursor.execute(
        f"SELECT {COLUMNS} FROM audit_log WHERE seq BETWEEN {marks[0]} AND {marks[1]} ORDER BY seq",
        (first, last),
    )
    rows = cursor.fetchall()
    cursor.close()
    driver.commit()
    return rows


def _executemany(driver: Any, rows: list[tuple]) -> None:  # type: ignore[type-arg]
    # The store's connections run in autocommit (they issue their own BEGIN), where a bare
    # executemany would commit every row: the page is one transaction, as the store's batch is.
    marks = ", ".join("?" for _ in LOG_COLUMNS)
    driver.execute("BEGIN")
    driver.executemany(f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ({marks})", rows)
    driver.commit()


def _copy(driver: Any, rows: list[tuple]) -> None:  # type: ignore[type-arg]
    with driver.cursor() as cursor, cursor.copy(f"COPY {TABLE} ({COLUMNS}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    driver.commit()


def _is_psycopg(driver: Any) -> bool:
    return type(driver).__module__.startswith("psycopg")
