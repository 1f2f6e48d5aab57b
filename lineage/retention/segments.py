"""Archived segments as `verify` and the retention review read them back.

A segment row is trusted only as far as its signature (the store's Ed25519 key), its stored
Merkle leaves, the audit event that recorded it and, when present, its archive file agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, func, select

from lineage.errors import IntegrityError
from lineage.merkle.layout import position
from lineage.merkle.scan import Problem
from lineage.merkle.tree import NODES, root_at
from lineage.models import LogEntry
from lineage.models.retention import ArchivedSegment
from lineage.retention.archive_file import ArchiveFileError, read_archive
from lineage.retention.evidence import leaves_root
from lineage.retention.offline import check_rows
from lineage.retention.statement import SegmentStatement, StatementError, statement_signed

SEGMENTS = ArchivedSegment.__table__


@dataclass(frozen=True)
class StoredSegment:
    statement: SegmentStatement
    signature: str
    file_path: str
    event_seq: int

    @property
    def first_seq(self) -> int:
        return self.statement.first_seq

    @property
    def end_seq(self) -> int:
        return self.statement.end_seq

    @property
    def prev_hash(self) -> str:
        return self.statement.prev_hash

    @property
    def last_hash(self) -> str:
        return self.statement.last_hash

    @property
    def count(self) -> int:
        return self.end_seq - self.first_seq


def stored_segments(conn: Connection) -> list[StoredSegment]:
    rows = conn.execute(select(SEGMENTS).order_by(SEGMENTS.c.first_seq)).mappings()
    return [_segment(row) for row in rows]


def _segment(row: dict) -> StoredSegment:  # type: ignore[type-arg]
    # Built without validation: a tampered row must reach the checks, not crash the read.
    fields = {name: row[name] for name in SegmentStatement.__dataclass_fields__}
    return StoredSegment(
        SegmentStatement(**fields), row["signature"], row["file_path"], row["event_seq"]
    )


def stored_leaves(conn: Connection, first_seq: int, end_seq: int) -> list[bytes]:
    """The tree's leaf hashes of entries first_seq .. end_seq - 1, in order (absent ones left
    out: the tree check names them). One range read; the inner nodes in it are skipped."""
    leaves = {position(0, index) for index in range(first_seq - 1, end_seq - 1)}
    if not leaves:
        return []
    span = NODES.c.pos >= min(leaves), NODES.c.pos <= max(leaves)
    rows = conn.execute(select(NODES.c.pos, NODES.c.hash).where(*span).order_by(NODES.c.pos))
    return [bytes(digest) for pos, digest in rows if pos in leaves]


def segment_problems(
    conn: Connection,
    segment: StoredSegment,
    leaves: list[bytes],
    trusted: dict[str, Ed25519PublicKey],
) -> list[Problem]:
    """Everything that must hold for the segment's rows to have left the log legitimately."""
    statement = segment.statement
    key = trusted.get(statement.key_id)
    inside = LogEntry.seq >= segment.first_seq, LogEntry.seq < segment.end_seq
    present = conn.execute(select(func.count()).where(*inside)).scalar_one()
    checks = (
        (
            key is not None and statement_signed(statement, segment.signature, key),
            "archive-signature",
            "is not signed by a trusted key: the archived_segments row was edited or forged",
        ),
        (
            len(leaves) == segment.count and leaves_root(leaves).hex() == statement.leaves_root,
            "archive-leaves",
            "has tree leaves other than those recorded when it was archived",
        ),
        (not present, "archive-rows-present", f"still has {present} of its entries in the log"),
        (
            _root(conn, statement.head_size) == statement.head_root,
            "archive-head",
            f"was proven against a root the tree does not have at size {statement.head_size}",
        ),
        (
            _recorded(conn, segment),
            "archive-unrecorded",
            f"is not what log entry {segment.event_seq} recorded",
        ),
    )
    label, seq = _label(segment), segment.first_seq
    return [Problem(seq, kind, f"{label} {what}") for ok, kind, what in checks if not ok]


def _root(conn: Connection, size: int) -> str | None:
    try:
        return root_at(conn, size).hex()
    except IntegrityError:
        return None


def _recorded(conn: Connection, segment: StoredSegment) -> bool:
    """The archiving was recorded in the log, with this very statement and signature."""
    payload = conn.execute(
        select(LogEntry.payload).where(LogEntry.seq == segment.event_seq)
    ).scalar()
    if payload is None:
        return True  # archived in turn, later: its own segment's signature covers it
    facets = json.loads(payload).get("run", {}).get("facets", {})
    details = facets.get("mlaudit_user_action", {}).get("details", {})
    return (
        details.get("signature") == segment.signature
        and details.get("statement") == segment.statement.to_json()
    )


def file_state(segment: StoredSegment) -> str | None:
    """None when the archive file is there and holds the segment; else what is wrong with it.
    (Starts with "missing" when there is no file.)"""
    path = Path(segment.file_path)
    if not path.exists():
        return f"missing: {path} is gone"
    try:
        files = read_archive(path)
        if files.data_sha256 != segment.statement.file_sha256:
            return f"{path}: its SHA-256 is not the one recorded when it was archived"
        steps, leaves = check_rows(files.rows, segment.statement)
    except (ArchiveFileError, StatementError, KeyError, TypeError) as exc:
        return f"{path}: unreadable ({exc})"
    if leaves is None:
        return f"{path}: " + next(s.what for s in steps if not s.ok)
    return None


def file_problems(segment: StoredSegment, state: str | None) -> list[Problem]:
    """The file_state of a present archive file as verify reports it."""
    if state is None:
        return []
    return [Problem(segment.first_seq, "archive-file", f"{_label(segment)}: {state}")]


def _label(segment: StoredSegment) -> str:
    return f"archived segment {segment.first_seq}..{segment.end_seq - 1}"
