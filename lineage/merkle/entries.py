"""The bytes of stored log entries, as the chain hashes them, read back for leaves and checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Select, select

from lineage.chain import entry_bytes, entry_header
from lineage.merkle.fastscan import entry_data
from lineage.models import LogEntry

# Everything entry_bytes covers, then the chain's own fields.
COLUMNS = ("seq", "key", "received_at", "submitter", "normalizations", "payload")
PAGE = 5000


def stored_entry_bytes(
    seq: Any, key: Any, received_at: Any, submitter: Any, normalizations: Any, payload: Any
) -> bytes:
    """`lineage.chain.entry_bytes` of a stored row, about four times faster.

    The detailed pass of `verify` spends most of its time here. Rows of the expected types take
    `fastscan.entry_data` (a test holds it to entry_bytes); anything unexpected (an attacker
    storing text in `seq`, a NULL) takes the slow, authoritative path.
    """
    if not (
        type(seq) is int
        and type(key) is str
        and type(received_at) is str
        and type(normalizations) is str
        and type(payload) is str
        and (submitter is None or type(submitter) is str)
    ):
        return _slow(seq, key, received_at, submitter, normalizations, payload)
    return entry_data(seq, key, received_at, submitter, normalizations, payload)


def _slow(
    seq: Any, key: Any, received_at: Any, submitter: Any, normalizations: Any, payload: Any
) -> bytes:
    header = entry_header(
        seq=seq,
        key=key,
        received_at=received_at,
        submitter=submitter,
        normalizations=normalizations,
    )
    return entry_bytes(header, payload)


def entries_bytes(conn: Connection, after: int, upto: int) -> Iterator[bytes]:
    """Entry bytes of seq in (after, upto], in order, a page at a time (no long-lived cursor)."""
    columns = [getattr(LogEntry, c) for c in COLUMNS]
    while after < upto:
        query = (
            select(*columns)
            .where(LogEntry.seq > after, LogEntry.seq <= upto)
            .order_by(LogEntry.seq)
            .limit(PAGE)
        )
        rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield stored_entry_bytes(*row)
        after = rows[-1][0]


def raw_rows(conn: Connection, query: Select, *, stream: bool = False) -> Iterator[list[tuple]]:  # type: ignore[type-arg]
    """Rows of `query` as plain DB-API tuples, a page at a time, in the connection's transaction.

    For the scans of `verify`, where SQLAlchemy's row objects cost as much as the hashing. The
    query is rendered with its (integer) bounds inline; `stream` uses a server-side cursor on
    PostgreSQL so a large log is never held in memory.
    """
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    postgres = conn.dialect.name == "postgresql"
    cursor = dbapi.cursor(name="mlaudit_scan") if stream and postgres else dbapi.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(PAGE):
            yield rows
    finally:
        cursor.close()
