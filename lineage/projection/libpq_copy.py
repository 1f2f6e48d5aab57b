"""COPY FROM STDIN on a psycopg 3 connection, driven through libpq like the store's pipeline.

Why not psycopg's `cursor.copy`: it waits for the server inside psycopg, where the thread's idle
task (lineage.projection.idle_work) cannot run; the end of a COPY, when the server inserts the
rows, is the longest of a batch's waits. Rows are formatted by psycopg's own COPY formatter (the
same text `cursor.copy` would send) and sent as it fills its blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from psycopg import Connection, Copy, errors, pq
from psycopg.copy import Writer

from lineage.projection.libpq_pipeline import flush, next_result, opened

# Blocks handed to libpq at most this large (psycopg splits larger ones the same way: libpq
# can loop on a very large one).
MAX_BLOCK = 128 * 1024


class _Sender(Writer):
    """Hands each block the formatter fills to libpq; the copy is ended by `copy_rows`."""

    def __init__(self, pg: pq.abc.PGconn) -> None:
        self.pg = pg

    def write(self, data: Any) -> None:
        for start in range(0, len(data), MAX_BLOCK):
            block = bytes(data[start : start + MAX_BLOCK])
            while self.pg.put_copy_data(block) == 0:  # libpq's buffer is full: send it first
                flush(self.pg)


def copy_rows(driver: Connection, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
    """COPY `rows` into `table`'s `columns`, in the connection's transaction; raises psycopg's
    exception for what the server refused, after which the transaction must be rolled back."""
    pg = driver.pgconn
    encoding = driver.info.encoding
    if not driver.autocommit and pg.transaction_status == pq.TransactionStatus.IDLE:
        with opened(driver):  # sends BEGIN, as psycopg does before a statement
            pass
    pg.send_query(f"COPY {table} ({', '.join(columns)}) FROM STDIN".encode())
    flush(pg)
    started = next_result(pg)
    if started is None or started.status != pq.ExecStatus.COPY_IN:
        _answered(pg, started, encoding)
        raise errors.InternalError(f"COPY into {table} did not start")
    copy = Copy(driver.cursor(), binary=False, writer=_Sender(pg))
    try:
        for row in rows:
            copy.write_row(row)
        copy.finish(None)  # sends the formatter's last block
    except BaseException as exc:  # a value the formatter refused: abort the copy, then raise
        _end(pg, f"error from Python: {type(exc).__qualname__}".encode())
        # The server reports the abort as an error: the Python error is the one to raise.
        with suppress(errors.Error):
            _answered(pg, next_result(pg), encoding)
        raise
    _end(pg, None)
    _answered(pg, next_result(pg), encoding)


def _end(pg: pq.abc.PGconn, error: bytes | None) -> None:
    while pg.put_copy_end(error) == 0:
        flush(pg)
    flush(pg)


def _answered(pg: pq.abc.PGconn, result: pq.abc.PGresult | None, encoding: str) -> None:
    """Read the rest of the statement's results; raise the server's error, if it sent one."""
    while next_result(pg) is not None:
        pass
    if result is not None and result.status == pq.ExecStatus.FATAL_ERROR:
        raise errors.error_from_result(result, encoding=encoding)
