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
import sys
from dataclasses import dataclass, field
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
_ENTRIES = (
    "SELECT seq, key, received_at, submitter, normalizations, payload, prev_hash, entry_hash"
    f" FROM {LOG_TABLE} WHERE seq >= {{first}} AND seq <= {{last}} ORDER BY seq"
)
_NODES = f"SELECT hash FROM {NODE_TABLE} WHERE pos >= {{start}} AND pos < {{end}} ORDER BY pos"
_sha256 = hashlib.sha256


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


def scan_range(dbapi: Any, postgres: bool, start: Start, last: int, end_pos: int) -> Outcome:
    """Check entries start.first..last and the stored nodes they produce below `end_pos`."""
    size = start.first - 1
    pos = nodes_for_size(size)
    entries = _cursor(dbapi, postgres, "entries", _ENTRIES.format(first=start.first, last=last))
    nodes = _cursor(dbapi, postgres, "nodes", _NODES.format(start=pos, end=end_pos))
    expected, prev, roots = start.first, start.prev, list(start.roots)
    try:
        while page := entries.fetchmany(PAGE):
            out: list[bytes] = []
            state = _hash_page(page, expected, prev, roots, out)
            if state is None:
                return Outcome(False)
            expected, prev = state
            wanted = out[: max(0, end_pos - pos)]  # nodes past end_pos are the tree report's
            if wanted and [row[0] for row in nodes.fetchmany(len(wanted))] != wanted:
                return Outcome(False)
            pos += len(out)
    except (TypeError, ValueError):  # a field of an unexpected type: the detailed pass says what
        return Outcome(False)
    finally:
        entries.close()
        nodes.close()
    return Outcome(True, expected - start.first, prev, expected - 1, roots)


def _hash_page(
    page: list[tuple], expected: int, prev: str, roots: list[bytes], out: list[bytes]
) -> tuple[int, str] | None:
    """Chain-check a page of rows and add their leaves and completed nodes to `out`, in position
    order; (next expected seq, last hash), or None at the first break. The hot loop of verify:
    locals on purpose, and the chain hash is taken from the previous digest, not re-parsed hex."""
    sha, data_of, append, pop = _sha256, entry_data, out.append, roots.pop
    prev_digest = bytes.fromhex(prev)
    for seq, key, received_at, submitter, normalizations, payload, prev_hash, entry_hash in page:
        if seq != expected or prev_hash != prev:
            return None
        data = data_of(seq, key, received_at, submitter, normalizations, payload)
        prev_digest = sha(prev_digest + data).digest()
        prev = prev_digest.hex()
        if prev != entry_hash:
            return None
        node = sha(b"\x00" + data).digest()
        append(node)
        # Leaf number `seq` completes one subtree per trailing zero bit of `seq`.
        for _ in range((seq & -seq).bit_length() - 1):
            node = sha(b"\x01" + pop() + node).digest()
            append(node)
        roots.append(node)
        expected += 1
    return expected, prev


def _cursor(dbapi: Any, postgres: bool, name: str, sql: str) -> Any:
    """A cursor over `sql`; on PostgreSQL a server-side one, so a large log is never held."""
    cursor = dbapi.cursor(name=f"mlaudit_fast_{name}") if postgres else dbapi.cursor()
    cursor.execute(sql)
    return cursor


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


def _connect(job: dict[str, Any]) -> tuple[Any, bool]:
    """The worker's own read-only connection, in a transaction (one snapshot for its reads)."""
    if "sqlite" in job:
        import sqlite3

        uri = Path(job["sqlite"]).resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        sqlite_mmap(conn, SQLITE_MMAP_BYTES)
        conn.execute("BEGIN")
        return conn, False
    import psycopg

    conn = psycopg.connect(job["postgres"])  # not autocommit: the first query opens a transaction
    conn.read_only = True
    return conn, True


def _work() -> None:
    """Worker: check entries first..last (the job on stdin), print the Outcome as JSON."""
    job = json.loads(sys.stdin.read())
    dbapi, postgres = _connect(job)
    try:
        start = read_start(dbapi, job["first"])
        outcome = Outcome(False)
        if start is not None:
            outcome = scan_range(dbapi, postgres, start, job["last"], job["end_pos"])
        result = {"start": vars(start) if start else None, "outcome": outcome.to_json()}
    finally:
        dbapi.close()
    sys.stdout.write(json.dumps(result, default=bytes.hex))


if __name__ == "__main__":
    _work()
