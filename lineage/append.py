"""Appending to the log under the single-writer lock: dedupe, number, chain, insert.

Statements go to the driver directly (lineage.projection.sql): building and compiling SQLAlchemy
statements cost more than running them, which a one-event transaction pays in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from lineage.chain import GENESIS_HASH, chain_hash, entry_bytes, entry_header
from lineage.ingest_result import Accepted
from lineage.merkle.tree import append_leaves
from lineage.models import EntryCategory, LogEntry
from lineage.prepare import PreparedEvent
from lineage.projection.sql import Sql

LOG_COLUMNS = (
    "seq", "key", "received_at", "event_time", "event_type", "producer", "submitter",
    "job_namespace", "job_name", "run_id", "actor", "normalizations", "payload", "prev_hash",
    "entry_hash",
)  # fmt: skip
_ENTRY_HASH = LOG_COLUMNS.index("entry_hash")
CATEGORY_COLUMNS = ("seq", "category")
# json.dumps with options builds a new encoder per call; the notes are encoded once per entry.
_NOTES = json.JSONEncoder(ensure_ascii=False)


@dataclass(frozen=True)
class NewEntry:
    seq: int
    prepared: PreparedEvent


def read_head(conn: Connection) -> tuple[int, str]:
    row = Sql(conn).rows("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    return (row[0][0], row[0][1]) if row else (0, GENESIS_HASH)


def stored_keys(conn: Connection, keys: Iterable[str]) -> dict[str, int]:
    sql = Sql(conn)
    query = sql.where_in("SELECT key, seq FROM audit_log WHERE key {in}", list(dict.fromkeys(keys)))
    (rows,) = sql.fetch(query)
    return dict(rows)


def append_batch(
    conn: Connection, batch: list[PreparedEvent], *, submitter: str | None, received_at: str
) -> tuple[list[Accepted], list[NewEntry]]:
    """Append what is new; report duplicates with the sequence number they were first stored at.

    The new entries' Merkle leaves go into the tree in the same transaction, so the log and the
    tree never disagree.
    """
    known = stored_keys(conn, (p.key for p in batch))
    seq, prev = read_head(conn)
    start = seq
    accepted: list[Accepted] = []
    new: list[NewEntry] = []
    log_rows: list[tuple] = []
    leaf_data: list[bytes] = []
    category_rows: list[tuple[int, str]] = []
    for item in batch:
        if item.key in known:
            accepted.append(Accepted(item.index, known[item.key], item.key, duplicate=True))
            continue
        seq += 1
        row, data = _log_row(item, seq, prev, submitter, received_at)
        prev = row[_ENTRY_HASH]
        leaf_data.append(data)
        known[item.key] = seq
        log_rows.append(row)
        category_rows.extend((seq, c) for c in item.categories)
        accepted.append(Accepted(item.index, seq, item.key, duplicate=False))
        new.append(NewEntry(seq, item))
    if log_rows:
        # The driver's executemany (COPY on PostgreSQL): SQLAlchemy's per-row parameter
        # processing cost more than the insert itself.
        sql = Sql(conn)
        sql.insert(LogEntry.__table__, LOG_COLUMNS, log_rows)
        sql.insert(EntryCategory.__table__, CATEGORY_COLUMNS, category_rows)
        append_leaves(conn, start, leaf_data)
    return accepted, new


def _log_row(
    item: PreparedEvent, seq: int, prev: str, submitter: str | None, received_at: str
) -> tuple[tuple, bytes]:
    """The log row (LOG_COLUMNS) and its entry bytes (hashed once, for the chain and the leaf)."""
    notes = _NOTES.encode(item.notes) if item.notes else "[]"
    header = entry_header(
        seq=seq, key=item.key, received_at=received_at, submitter=submitter, normalizations=notes
    )
    data = entry_bytes(header, item.payload)
    row = (
        seq, item.key, received_at, item.event_time, item.event_type, item.producer[:512],
        submitter, item.job_namespace, item.job_name, item.run_id, item.actor, notes,
        item.payload, prev, chain_hash(prev, data),
    )  # fmt: skip
    return row, data
