"""The fast pass of `verify` over a clean log: chain and tree checked on plain DB-API rows.

It only answers "clean" (and then gives the chain's head and the tree's frontier) or "not clean";
on "not clean" `verify` runs the detailed pass (`lineage.merkle.scan` with `check.TreeCheck`),
which names what broke. So this pass gives up at the first thing unusual (a type it does not
expect included), but it never calls a broken range clean: it checks what the detailed pass
checks (seq order, each predecessor hash, each entry hash, every stored node in its range).

Why a second pass rather than a faster first one: the detailed pass goes through SQLAlchemy and
keeps per-row bookkeeping for its report, which cost more than the hashing (measured on 100,000
generator entries: 15 us of CPU an entry against about 6 here). This module imports neither
SQLAlchemy nor the models, so the worker process of a two-core verify (`python -m
lineage.merkle.fastscan`, job on stdin) starts in tens of milliseconds rather than half a second.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections.abc import Generator
from dataclasses import dataclass, field
from itertools import islice
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) uses, in C
from pathlib import Path
from typing import Any

from lineage.merkle.layout import nodes_for_size, position, subtrees

GENESIS_HASH = "0" * 64  # lineage.chain.GENESIS_HASH (a test holds the two together)
LOG_TABLE, NODE_TABLE = "audit_log", "merkle_nodes"  # the models' tables (tested likewise)
PAGE = 5000
# SQLite reads the log through mmap rather than a read() per page: about 1 us less per entry.
# SQLite caps the mapping at its compile-time limit (2 GiB by default); the rest is read as usual.
SQLITE_MMAP_BYTES = 1 << 34
# The entry's bytes (`entry_data`) built by the database and handed over as bytes, so no row builds
# Python strings (about 1.5 us an entry less). The header's strings are quoted by the database's
# JSON quoting, which gives json's encode_basestring bytes (a test holds the two together on every
# character class). Where they differ the entry's hash fails and verify takes the detailed pass;
# they cannot pass off a changed field, as both are JSON string literals of the field's value.
_SQLITE_DATA = (
    "CAST('{\"key\":' || json_quote(key) || ',\"normalizations\":' || json_quote(normalizations)"
    " || ',\"receivedAt\":' || json_quote(received_at) || ',\"seq\":' || seq"
    " || ',\"submitter\":' || json_quote(submitter) || '}' || char(10) || payload AS BLOB)"
)
_POSTGRES_DATA = (
    "convert_to('{\"key\":' || to_json(key)::text || ',\"normalizations\":'"
    " || to_json(normalizations)::text || ',\"receivedAt\":' || to_json(received_at)::text"
    " || ',\"seq\":' || seq::text"
    " || ',\"submitter\":' || coalesce(to_json(submitter)::text, 'null') || E'}\\n' || payload,"
    " 'UTF8')"
)
_ENTRIES = (
    "SELECT seq, {data}, prev_hash, entry_hash FROM {table}"
    " WHERE seq >= {first} AND seq <= {last} ORDER BY seq"
)
# PostgreSQL streams the entries by COPY, with no round trip per page (measured on 100,000
# entries: 9 us an entry of wall time against 21 through a server-side cursor); binary COPY
# needs each column's exact type, hence the casts; the order is the column's, not the cast's
# (ordering by the cast output sorted the whole range on disk instead of reading the index).
_POSTGRES_COPY = (
    "COPY (SELECT seq::int8, {data}, prev_hash::text, entry_hash::text FROM {table}"
    " WHERE seq >= {first} AND seq <= {last} ORDER BY {table}.seq) TO STDOUT (FORMAT BINARY)"
)
_POSTGRES_TYPES = ["int8", "bytea", "text", "text"]
# Stored nodes compared a page at a time as one concatenation (one row, not one per node), with
# their count and lengths, so equal concatenations mean equal nodes position by position. The
# nodes table's key is `pos`, SQLite's rowid, which its scans (and so group_concat) follow.
_SQLITE_NODES = (
    "SELECT CAST(group_concat(hash, '') AS BLOB), count(*), min(length(hash)), max(length(hash))"
    f" FROM (SELECT hash FROM {NODE_TABLE} WHERE pos >= {{start}} AND pos < {{end}} ORDER BY pos)"
)
_POSTGRES_NODES = (
    "SELECT string_agg(hash, ''::bytea ORDER BY pos), count(*), min(length(hash)),"
    f" max(length(hash)) FROM {NODE_TABLE} WHERE pos >= {{start}} AND pos < {{end}}"
)
_EMPTY, _LEAF, _INNER = hashlib.sha256(), hashlib.sha256(b"\x00"), hashlib.sha256(b"\x01")


def entry_data(
    seq: int, key: str, received_at: str, submitter: str | None, normalizations: str, payload: str
) -> bytes:
    """`lineage.chain.entry_bytes` of a stored row whose fields have their expected types.

    The header spelled out in sorted key order with json's own string encoder, byte-identical to
    json.dumps(sort_keys=True) for these types (a test holds the two together). Other types raise
    TypeError (or produce bytes that fail the entry's hash).
    """
    who = "null" if submitter is None else encode_basestring(submitter)
    head = (
        f'{{"key":{encode_basestring(key)},"normalizations":{encode_basestring(normalizations)},'
        f'"receivedAt":{encode_basestring(received_at)},"seq":{seq},"submitter":{who}}}\n'
    )
    return (head + payload).encode()


@dataclass
class Outcome:
    """Where a clean range leaves the chain and the tree (meaningless when not `clean`)."""

    clean: bool
    entries: int = 0
    head_hash: str = GENESIS_HASH  # the hash of the last entry, or the starting one
    size: int = 0  # leaves after the range
    roots: list[bytes] = field(default_factory=list)  # the frontier after the range

    def to_json(self) -> dict[str, Any]:
        return {**vars(self), "roots": [r.hex() for r in self.roots]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(**{**data, "roots": [bytes.fromhex(r) for r in data["roots"]]})


@dataclass
class Start:
    """The state before entry `first`: its predecessor's hash and the tree's frontier there."""

    first: int
    prev: str = GENESIS_HASH
    roots: list[bytes] = field(default_factory=list)


def scan_range(
    dbapi: Any, postgres: bool, start: Start, last: int, end_pos: int, reader: Any = None
) -> Outcome:
    """Check entries start.first..last and the stored nodes they produce below `end_pos`.

    The entries are read from `reader` (default: `dbapi`); on PostgreSQL that must be a second
    connection, as the COPY they come by holds its connection until the end.
    """
    pos = nodes_for_size(start.first - 1)
    pages = entry_pages(reader or dbapi, postgres, entries_sql(postgres, start.first, last))
    expected, prev, roots = start.first, start.prev, list(start.roots)
    try:
        for page in pages:
            out: list[bytes] = []
            state = _hash_page(page, expected, prev, roots, out)
            wanted = out[: max(0, end_pos - pos)]  # nodes past end_pos are the tree report's
            if state is None or not _nodes_match(dbapi, postgres, pos, wanted):
                return Outcome(False)
            expected, prev = state
            pos += len(out)
    except (TypeError, ValueError, sqlite3.Error):  # a NULL or an unexpected type (a BLOB
        # refused by json_quote): the detailed pass says what
        return Outcome(False)
    finally:
        pages.close()
    return Outcome(True, expected - start.first, prev, expected - 1, roots)


def entries_sql(postgres: bool, first: int, last: int, table: str = LOG_TABLE) -> str:
    template, data = (_POSTGRES_COPY, _POSTGRES_DATA) if postgres else (_ENTRIES, _SQLITE_DATA)
    return template.format(data=data, table=table, first=int(first), last=int(last))


def entry_pages(dbapi: Any, postgres: bool, sql: str) -> Generator[list[tuple], None, None]:
    """The rows of `sql` (seq, entry bytes, prev_hash, entry_hash), a page at a time."""
    if postgres:
        with dbapi.cursor().copy(sql) as copy:
            copy.set_types(_POSTGRES_TYPES)
            rows = copy.rows()
            while page := list(islice(rows, PAGE)):
                yield page
        return
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        while page := cursor.fetchmany(PAGE):
            yield page
    finally:
        cursor.close()


def _nodes_match(dbapi: Any, postgres: bool, start: int, wanted: list[bytes]) -> bool:
    """Whether the stored nodes at positions start.. are exactly `wanted`."""
    if not wanted:
        return True
    sql = (_POSTGRES_NODES if postgres else _SQLITE_NODES).format(
        start=int(start), end=int(start + len(wanted))
    )
    cursor = dbapi.cursor(binary=True) if postgres else dbapi.cursor()
    try:
        cursor.execute(sql)
        joined, count, shortest, longest = cursor.fetchone()
    finally:
        cursor.close()
    size = len(wanted[0])
    return (count, shortest, longest) == (len(wanted), size, size) and joined == b"".join(wanted)


def _hash_page(
    page: list[tuple], expected: int, prev: str, roots: list[bytes], out: list[bytes]
) -> tuple[int, str] | None:
    """Chain-check a page of rows and add their leaves and completed nodes to `out`, in position
    order; (next expected seq, last hash), or None at the first break. The hot loop of verify:
    locals on purpose, and the chain hash is taken from the previous digest, not re-parsed hex."""
    # Copies of hashes already holding their prefix: no prefixed copy of the entry, and cheaper
    # than a new hash object under OpenSSL 3 (about 0.2 us an entry of 3.3 us of hashing).
    chained, leaf, inner = _EMPTY.copy, _LEAF.copy, _INNER.copy
    append, pop = out.append, roots.pop
    prev_digest = bytes.fromhex(prev)
    for seq, data, prev_hash, entry_hash in page:
        if seq != expected or prev_hash != prev:
            return None
        hashed = chained()
        hashed.update(prev_digest + data)
        prev_digest = hashed.digest()
        prev = prev_digest.hex()
        if prev != entry_hash:
            return None
        hashed = leaf()
        hashed.update(data)
        node = hashed.digest()
        append(node)
        if not seq & 1:  # leaf number `seq` completes one subtree per trailing zero bit of it
            for _ in range((seq & -seq).bit_length() - 1):
                hashed = inner()
                hashed.update(pop() + node)
                node = hashed.digest()
                append(node)
        roots.append(node)
        expected += 1
    return expected, prev


def read_start(dbapi: Any, first: int) -> Start | None:
    """The stored state before entry `first` (None if some of it is missing); the scan of the
    entries before `first` checks it (see `lineage.merkle.parallel`)."""
    if first <= 1:
        return Start(1)
    cursor = dbapi.cursor()
    try:
        cursor.execute(f"SELECT entry_hash FROM {LOG_TABLE} WHERE seq = {int(first - 1)}")
        row = cursor.fetchone()
        wanted = [position(level, index) for level, index in subtrees(0, first - 1)]
        listed = ", ".join(str(pos) for pos in wanted)  # computed integers, never input
        cursor.execute(f"SELECT pos, hash FROM {NODE_TABLE} WHERE pos IN ({listed})")
        found = {pos: bytes(digest) for pos, digest in cursor.fetchall()}
    finally:
        cursor.close()
    if row is None or len(found) != len(wanted):
        return None
    return Start(first, row[0], [found[pos] for pos in wanted])


def sqlite_mmap(dbapi: Any, size: int) -> int:
    """Set SQLite's mmap size on this connection; returns the previous one, to restore."""
    cursor = dbapi.cursor()
    try:
        before = cursor.execute("PRAGMA mmap_size").fetchone()[0]
        cursor.execute(f"PRAGMA mmap_size={int(size)}")
    finally:
        cursor.close()
    return int(before)


def connect(target: dict[str, str]) -> tuple[Any, bool]:
    """A read-only connection of its own to the store ({"sqlite": path} or {"postgres": URL}),
    in a transaction; and whether it is PostgreSQL."""
    if "sqlite" in target:
        uri = Path(target["sqlite"]).resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        sqlite_mmap(conn, SQLITE_MMAP_BYTES)
        conn.execute("BEGIN")
        return conn, False
    import psycopg

    conn = psycopg.connect(target["postgres"])  # not autocommit: a query opens a transaction
    conn.read_only = True
    return conn, True


def _work() -> None:
    """Worker: check entries first..last (the job on stdin), print the Outcome as JSON."""
    job = json.loads(sys.stdin.read())
    dbapi, postgres = connect(job)
    reader = connect(job)[0] if postgres else dbapi  # the COPY of the entries holds its own
    try:
        start = read_start(dbapi, job["first"])
        outcome = Outcome(False)
        if start is not None:
            outcome = scan_range(dbapi, postgres, start, job["last"], job["end_pos"], reader)
        result = {"start": vars(start) if start else None, "outcome": outcome.to_json()}
    finally:
        reader.close()
        dbapi.close()
    sys.stdout.write(json.dumps(result, default=bytes.hex))


if __name__ == "__main__":
    _work()
