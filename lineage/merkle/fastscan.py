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
lineage.merkle.fastscan`, job on stdin) starts in tens of milliseconds rather than half a second;
on SQLite it imports only what it uses from the standard library, in C where it can (no json,
dataclasses, typing or pathlib: they were two thirds of its start, see `_work`).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sqlite3
import sys
from itertools import islice

try:  # what json.dumps(ensure_ascii=False) uses, without importing json (and re) for it
    from _json import encode_basestring
except ImportError:  # an interpreter without the C accelerator
    from json.encoder import encode_basestring

from lineage.merkle.layout import nodes_for_size, position, subtrees

TYPE_CHECKING = False  # typing's own flag, without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Generator
    from typing import Any

GENESIS_HASH = "0" * 64  # lineage.chain.GENESIS_HASH (a test holds the two together)
LOG_TABLE, NODE_TABLE = "audit_log", "merkle_nodes"  # the models' tables (tested likewise)
PAGE = 5000
# SQLite reads the log through mmap rather than a read() per page: about 1 us less per entry.
# SQLite caps the mapping at its compile-time limit (2 GiB by default); the rest is read as usual.
SQLITE_MMAP_BYTES = 1 << 34
# The entries' rows: the header's fields as text and the payload as bytes (SQLite's CAST hands
# over the stored UTF-8; PostgreSQL's text arrives as bytes, see `_postgres_pages`, so the other
# columns travel as varchar). The header is written here by `entry_head`, the function
# `entry_data` uses, and hashed beside the payload without joining the two: on the 1M generator
# store, CPU an entry, paired runs of 10,000-entry ranges, that is 1.5 us less than having the
# database write the whole entry (json_quote and concatenation on SQLite, to_json on PostgreSQL)
# and then hashing a copy of it behind the predecessor's hash.
_SQLITE_ENTRIES = (
    "SELECT seq, key, normalizations, received_at, submitter, CAST(payload AS BLOB), prev_hash,"
    " entry_hash FROM {table} WHERE seq >= {first} AND seq <= {last} ORDER BY seq"
)
_POSTGRES_ENTRIES = (
    "SELECT seq, key::varchar, normalizations::varchar, received_at::varchar,"
    " submitter::varchar, payload::text, prev_hash::varchar, entry_hash::varchar"
    " FROM {table} WHERE seq >= {first} AND seq <= {last} ORDER BY seq"
)
# PostgreSQL sends the entries as a stream of row chunks (libpq's chunked rows mode: no round
# trip per page, rows built by psycopg's C code). COPY did the same with a Python-level read per
# row, and a server-side cursor costs a round trip per page; on 200,000 generator entries, CPU of
# client + server an entry, median of 4: COPY 6.9 + 7.0 us, chunked rows 4.4 + 6.3 us.
# Stored nodes compared a page at a time as one concatenation (one row, not one per node), with
# their count and lengths, so equal concatenations mean equal nodes position by position. The
# nodes table's key is `pos`, SQLite's rowid, which its scans (and so group_concat) follow.
_SQLITE_NODES = (
    "SELECT CAST(group_concat(hash, '') AS BLOB), count(*), min(length(hash)), max(length(hash))"
    f" FROM (SELECT hash FROM {NODE_TABLE} WHERE pos >= {{start}} AND pos < {{end}} ORDER BY pos)"
)
# On PostgreSQL likewise from an ordered subquery: an ORDER BY inside string_agg sorts the rows
# again even when the index scan delivers them in order (0.72-0.85 against 0.42-0.50 us of server
# CPU a node once merkle_nodes has statistics; the same without them). Were the rows ever fed in
# another order, the concatenations would differ and the pass would only fail, never pass.
_POSTGRES_NODES = (
    "SELECT string_agg(hash, ''::bytea), count(*), min(length(hash)), max(length(hash))"
    f" FROM (SELECT hash FROM {NODE_TABLE} WHERE pos >= {{start}} AND pos < {{end}} ORDER BY pos)"
    " AS page"
)
_EMPTY, _LEAF, _INNER = hashlib.sha256(), hashlib.sha256(b"\x00"), hashlib.sha256(b"\x01")


def entry_head(
    seq: int, key: str, received_at: str, submitter: str | None, normalizations: str
) -> bytes:
    """The header line of `lineage.chain.entry_bytes` for a stored row's fields.

    Spelled out in sorted key order with json's own string encoder, byte-identical to
    json.dumps(sort_keys=True) for these types (a test holds the two together). Other types
    raise TypeError (or produce bytes that fail the entry's hash).
    """
    who = "null" if submitter is None else encode_basestring(submitter)
    return (
        f'{{"key":{encode_basestring(key)},"normalizations":{encode_basestring(normalizations)},'
        f'"receivedAt":{encode_basestring(received_at)},"seq":{seq},"submitter":{who}}}\n'
    ).encode()


def entry_data(
    seq: int, key: str, received_at: str, submitter: str | None, normalizations: str, payload: str
) -> bytes:
    """`lineage.chain.entry_bytes` of a stored row whose fields have their expected types."""
    return entry_head(seq, key, received_at, submitter, normalizations) + payload.encode()


class Outcome:
    """Where a clean range leaves the chain and the tree (meaningless when not `clean`)."""

    def __init__(
        self,
        clean: bool,
        entries: int = 0,
        head_hash: str = GENESIS_HASH,  # the hash of the last entry, or the starting one
        size: int = 0,  # leaves after the range
        roots: list[bytes] | None = None,  # the frontier after the range
    ) -> None:
        self.clean, self.entries, self.head_hash = clean, entries, head_hash
        self.size, self.roots = size, roots or []


class Start:
    """The state before entry `first`: its predecessor's hash and the tree's frontier there."""

    def __init__(
        self, first: int, prev: str = GENESIS_HASH, roots: list[bytes] | None = None
    ) -> None:
        self.first, self.prev, self.roots = first, prev, roots or []


def scan_range(
    dbapi: Any, postgres: bool, start: Start, last: int, end_pos: int, reader: Any = None
) -> Outcome:
    """Check entries start.first..last and the stored nodes they produce below `end_pos`.

    The entries are read from `reader` (default: `dbapi`); on PostgreSQL that must be a second
    connection, as the stream they come by holds its connection until the end.
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
    template = _POSTGRES_ENTRIES if postgres else _SQLITE_ENTRIES
    return template.format(table=table, first=int(first), last=int(last))


def entry_pages(dbapi: Any, postgres: bool, sql: str) -> Generator[list[tuple], None, None]:
    """The rows of `sql` (seq, the header's fields, payload bytes, prev_hash, entry_hash), a page
    at a time."""
    if postgres:
        yield from _postgres_pages(dbapi, sql)
        return
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        while page := cursor.fetchmany(PAGE):
            yield page
    finally:
        cursor.close()


def _postgres_pages(dbapi: Any, sql: str) -> Generator[list[tuple], None, None]:
    """`entry_pages` on PostgreSQL. The payload is not converted to bytea by the server (that
    checks and copies it again): in binary format a text value is its bytes in the client
    encoding, UTF-8 on `connect`'s connections, and this cursor loads text as those bytes."""
    from psycopg import capabilities
    from psycopg.types.string import ByteaBinaryLoader

    cursor = dbapi.cursor(binary=True)
    cursor.adapters.register_loader("text", ByteaBinaryLoader)
    # Chunks need libpq 17 (the pinned psycopg[binary] ships 18); else one row at a time.
    chunk = PAGE if capabilities.has_stream_chunked() else 1
    rows = cursor.stream(sql, size=chunk)
    try:
        while page := list(islice(rows, PAGE)):
            yield page
    finally:
        rows.close()  # stops the query if the pass gave up early
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
    prev_digest, head_of = bytes.fromhex(prev), entry_head
    for seq, key, normalizations, received_at, submitter, payload, prev_hash, entry_hash in page:
        if seq != expected or prev_hash != prev:
            return None
        head = head_of(seq, key, received_at, submitter, normalizations)
        hashed = chained()  # the entry's bytes are head + payload, hashed without joining them
        hashed.update(prev_digest + head)
        hashed.update(payload)
        prev_digest = hashed.digest()
        prev = prev_digest.hex()
        if prev != entry_hash:
            return None
        hashed = leaf()
        hashed.update(head)
        hashed.update(payload)
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
        conn = sqlite3.connect(_read_only_uri(target["sqlite"]), uri=True, isolation_level=None)
        sqlite_mmap(conn, SQLITE_MMAP_BYTES)
        conn.execute("BEGIN")
        return conn, False
    import psycopg

    # Not autocommit: a query opens a transaction. UTF-8: the entries' text arrives as bytes.
    conn = psycopg.connect(target["postgres"], client_encoding="UTF8")
    conn.read_only = True
    return conn, True


def _read_only_uri(path: str) -> str:
    """SQLite's URI of the file at `path`, opened read-only: an absolute path behind an empty
    authority, with the characters a URI gives a meaning escaped (what pathlib's as_uri would
    write for a POSIX path, without importing pathlib)."""
    escaped = os.path.realpath(path).replace("%", "%25").replace("?", "%3F").replace("#", "%23")
    return f"file://{escaped}?mode=ro"


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """The worker's part: check entries job["first"]..job["last"] of the store `job` names
    (see `connect`), from the stored state before them; that state and the Outcome, as plain
    values (`marshal` carries them, the digests as bytes)."""
    dbapi, postgres = connect(job)
    reader = connect(job)[0] if postgres else dbapi  # the entries' stream holds its own
    try:
        start = read_start(dbapi, job["first"])
        outcome = Outcome(False)
        if start is not None:
            outcome = scan_range(dbapi, postgres, start, job["last"], job["end_pos"], reader)
        return {"start": vars(start) if start else None, "outcome": vars(outcome)}
    finally:
        reader.close()
        dbapi.close()


def _work() -> None:
    """Worker process: the job on stdin, its result on stdout, both by `marshal`, which is built
    into the interpreter (both ends run the same one): json, with re behind it, was a fifth of
    this process's start on SQLite (lineage.merkle.worker_start)."""
    result = run_job(marshal.loads(sys.stdin.buffer.read()))
    sys.stdout.buffer.write(marshal.dumps(result))


if __name__ == "__main__":
    _work()
