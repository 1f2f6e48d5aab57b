"""Appending to the log under the single-writer lock: dedupe, number, chain, insert.

Statements go to the driver directly (lineage.projection.sql): building and compiling SQLAlchemy
statements cost more than running them, which a one-event transaction pays in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import Connection

from lineage.category_hours import add_hours, hour_counts
from lineage.chain import GENESIS_HASH, chain_hash
from lineage.db import WRITER_LOCK_SQL, begin_left_to_caller
from lineage.ingest_result import Accepted
from lineage.merkle.fastscan import entry_data
from lineage.merkle.tree import TOP_SQL, append_leaves, size_of
from lineage.models import EntryCategory, LogEntry
from lineage.prepare import PreparedEvent
from lineage.projection.sql import Query, Row, Sql

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


HEAD_SQL = "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1"
# Stored entries by (event_time, key), the log's unique pair (migration 0015): the key alone
# has no index of its own.
KEYS_SQL = (
    "WITH q(event_time, key) AS ({values}) SELECT a.key, a.seq FROM q "
    "JOIN audit_log a ON a.event_time = q.event_time AND a.key = q.key"
)
KEY_CASTS = ("VARCHAR", "VARCHAR")
EntryKey = tuple[str, str]  # an event's (event_time, key)
# The frontier of a tree as large as the log (the append checks that it is): the node of each
# set bit l of the head's seq n has index 2 * (n >> (l + 1)) at level l; its position is
# layout.position's formula, with popcount spelled portably (bit_count needs PostgreSQL 14).
FRONTIER_BITS = (
    "WITH h AS (SELECT CAST(coalesce(max(seq), 0) AS BIGINT) AS n FROM audit_log), "
    "b AS (SELECT n >> (l + 1) AS hi, l FROM h, generate_series(0, 62) AS l "
    "WHERE (n >> l) & 1 = 1) "
)
FRONTIER_POSITIONS = (
    "SELECT ((2 * hi + 1) << (l + 1)) - 2 "
    "- length(replace(CAST(CAST(hi AS BIT(64)) AS TEXT), '0', '')) FROM b"
)
# PostgreSQL: the head, the tree's top and its frontier in one statement, each row tagged with
# what it answers (every statement in a pipeline costs the driver a step). The stored keys are a
# statement of their own: a statement with a parameter is planned again at each execution, and
# with the keys in it planning this one cost the server about 170 us an append, three quarters
# of its time (docs/PERFORMANCE.md, eleventh round); without parameters its plan is kept.
HEAD, TOP, FRONTIER = range(3)
STATE_SQL = (
    f"{FRONTIER_BITS}"
    f"(SELECT {HEAD}, CAST(seq AS BIGINT), entry_hash, CAST(NULL AS BYTEA) FROM audit_log "
    # The table's column, not the output column of the same name (the cast, which no index
    # holds): ordering by that read and sorted the whole log for each append (19 ms at 20,000
    # entries, linear in the log; docs/PERFORMANCE.md, seventh round).
    "ORDER BY audit_log.seq DESC LIMIT 1) "
    f"UNION ALL SELECT {TOP}, CAST(max(pos) AS BIGINT), NULL, NULL FROM merkle_nodes "
    f"UNION ALL SELECT {FRONTIER}, pos, NULL, hash FROM merkle_nodes "
    f"WHERE pos IN ({FRONTIER_POSITIONS})"
)


@dataclass(frozen=True)
class AppendReads:
    """What an append reads before writing: stored keys, the log's head, the tree's end."""

    known: dict[str, int]
    head: tuple[int, str]
    tree: tuple[int | None, dict[int, bytes]]  # highest stored position, frontier by position
    extra: list[list[Row]]  # the rows of the caller's own queries, sent along

    @property
    def tree_current(self) -> bool:
        """The tree holds exactly the log: the append needs no catch-up (which reads the log
        through SQLAlchemy, so it cannot run in a pipeline) and will not refuse."""
        return size_of(self.tree[0]) == (self.head[0], True)


def read_state(
    conn: Connection, keys: Iterable[EntryKey], extra: Sequence[Query] = ()
) -> AppendReads:
    """Everything the append reads, and `extra` queries, in one round trip on PostgreSQL.

    On PostgreSQL the first statements begin the transaction, when the caller left that to them,
    and take the writer lock (again, if the caller's transaction holds it already: advisory
    locks nest), so a caller may open its transaction without either
    (`writer_transaction(lock=False)`) and save those round trips; the reads run after them, in
    statements of their own (one taking the lock would read a snapshot older than the lock).
    """
    sql = Sql(conn)
    stored_keys = sql.join_values(KEYS_SQL, list(dict.fromkeys(keys)), KEY_CASTS)
    if sql.postgres:
        begin = begin_left_to_caller(conn)
        with sql.pipeline():
            if begin:
                sql.execute("BEGIN")  # no rows to fetch: not one of the queries
            _lock, known, state, *rest = sql.fetch(
                Query([(WRITER_LOCK_SQL, [])]),
                stored_keys,
                Query([(STATE_SQL, [])]),
                *extra,
            )
        return _tagged_reads(known, state, rest)
    known, head, top, *rest = sql.fetch(
        stored_keys, Query([(HEAD_SQL, [])]), Query([(TOP_SQL, [])]), *extra
    )
    return AppendReads(
        dict(known),
        (head[0][0], head[0][1]) if head else (0, GENESIS_HASH),
        (top[0][0], {}),
        rest,
    )


def entry_keys(batch: Iterable[PreparedEvent]) -> list[EntryKey]:
    """What the log's unique index knows each event by."""
    return [(p.event_time, p.key) for p in batch]


def _tagged_reads(known: list[Row], rows: list[Row], rest: list[list[Row]]) -> AppendReads:
    head: tuple[int, str] = (0, GENESIS_HASH)
    top: int | None = None
    frontier: dict[int, bytes] = {}
    for tag, number, text, digest in rows:
        if tag == HEAD:
            head = (number, text)
        elif tag == TOP:
            top = number
        else:
            frontier[number] = digest
    return AppendReads(dict(known), head, (top, frontier), rest)


def append_batch(
    conn: Connection,
    batch: list[PreparedEvent],
    *,
    submitter: str | None,
    received_at: str,
    reads: AppendReads | None = None,
) -> tuple[list[Accepted], list[NewEntry]]:
    """Append what is new; report duplicates with the sequence number they were first stored at.

    The new entries' Merkle leaves go into the tree in the same transaction, so the log and the
    tree never disagree. `reads`: read_state of this transaction, if the caller read it already.
    """
    reads = reads or read_state(conn, entry_keys(batch))
    known = dict(reads.known)
    seq, prev = reads.head
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
        # One round trip for both on PostgreSQL, unless the tree must first catch up with the
        # log, which reads it through SQLAlchemy (refused in a pipeline).
        with sql.pipeline() if reads.tree_current else nullcontext():
            add_hours(sql, hour_counts((n.prepared.event_time, n.prepared.categories) for n in new))
            append_leaves(conn, start, leaf_data, reads.tree)
    return accepted, new


def _log_row(
    item: PreparedEvent, seq: int, prev: str, submitter: str | None, received_at: str
) -> tuple[tuple, bytes]:
    """The log row (LOG_COLUMNS) and its entry bytes (hashed once, for the chain and the leaf)."""
    notes = _NOTES.encode(item.notes) if item.notes else "[]"
    # entry_bytes spelled out for these types, as verify's scan does: a quarter of its time.
    data = entry_data(seq, item.key, received_at, submitter, notes, item.payload)
    row = (
        seq, item.key, received_at, item.event_time, item.event_type, item.producer[:512],
        submitter, item.job_namespace, item.job_name, item.run_id, item.actor, notes,
        item.payload, prev, chain_hash(prev, data),
    )  # fmt: skip
    return row, data
