"""Verify the hash chain of the whole log and name the first entry that breaks it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select

from lineage.chain import GENESIS_HASH, chain_hash, entry_bytes, entry_header
from lineage.models import LogEntry

STREAM_CHUNK = 5000


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str  # edited | missing | inserted-or-reordered | duplicate-seq
    detail: str


@dataclass
class ChainReport:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def verify_chain(engine: Engine, *, stop_at_first: bool = False) -> ChainReport:
    """Re-hash every entry in order; collect where the chain breaks."""
    report = ChainReport()
    expected_seq, prev = 1, GENESIS_HASH
    with engine.connect() as conn:
        for row in _stream(conn):
            report.entries += 1
            problem = _check(row, expected_seq, prev)
            if problem:
                report.problems.append(problem)
                if stop_at_first:
                    break
            expected_seq, prev = row.seq + 1, row.entry_hash
            report.head_seq, report.head_hash = row.seq, row.entry_hash
    return report


def _stream(conn: Connection) -> Iterator:  # type: ignore[type-arg]
    columns = [getattr(LogEntry, c) for c in _COLUMNS]
    query = select(*columns).order_by(LogEntry.seq)
    result = conn.execution_options(stream_results=True, yield_per=STREAM_CHUNK).execute(query)
    yield from result


_COLUMNS = (
    "seq",
    "key",
    "received_at",
    "submitter",
    "normalizations",
    "payload",
    "prev_hash",
    "entry_hash",
)


def _check(row, expected_seq: int, prev: str) -> Problem | None:  # type: ignore[no-untyped-def]
    header = entry_header(
        seq=row.seq,
        key=row.key,
        received_at=row.received_at,
        submitter=row.submitter,
        normalizations=row.normalizations,
    )
    recomputed = chain_hash(row.prev_hash, entry_bytes(header, row.payload))
    if recomputed != row.entry_hash:
        return Problem(row.seq, "edited", "its content no longer matches its hash")
    if row.seq > expected_seq:
        missing = (
            f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq}..{row.seq - 1}"
        )
        return Problem(row.seq, "missing", f"entries {missing} are missing before it")
    if row.prev_hash != prev:
        return Problem(
            row.seq,
            "inserted-or-reordered",
            "its predecessor hash does not match the entry before it",
        )
    return None
