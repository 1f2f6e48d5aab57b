"""The one pass over the log that `verify` makes: re-hash the chain, hand each entry's bytes on.

A scan covers a range of sequence numbers and starts from a state (expected seq, predecessor
hash), so the log can be verified in two halves on two cores (lineage.merkle.parallel) with the
same results as one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from lineage.chain import GENESIS_HASH, chain_hash
from lineage.merkle.entries import raw_rows, stored_entry_bytes
from lineage.models import LogEntry

Feed = Callable[[list[bytes]], None]
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


def scan_log(
    conn: Connection,
    feed: Feed | None = None,
    *,
    first_seq: int | None = None,
    last_seq: int | None = None,
    prev: str = GENESIS_HASH,
    stop_at_first: bool = False,
) -> ChainReport:
    """Re-hash entries first_seq..last_seq (default: all), handing their bytes to `feed`.

    The hot loop of `verify`: the common case is decided inline, _check classifies the rare
    broken entry. The report's head is the last entry walked past (not one a stop halted at).
    """
    report = ChainReport()
    expected_seq, passed = (first_seq or 1), 0
    for page in _pages(conn, first_seq, last_seq):
        chunk = [stored_entry_bytes(*row[:6]) for row in page]
        if feed is not None:
            feed(chunk)
        for row, data in zip(page, chunk, strict=True):
            report.entries += 1
            seq, prev_hash, entry_hash = row[0], row[6], row[7]
            if (
                seq != expected_seq
                or prev_hash != prev
                or chain_hash(prev_hash, data) != entry_hash
            ):
                problem = _check(row, data, expected_seq, prev)
                if problem:
                    report.problems.append(problem)
                    if stop_at_first:
                        return _headed(report, expected_seq, prev, passed)
            expected_seq, prev, passed = seq + 1, entry_hash, passed + 1
    return _headed(report, expected_seq, prev, passed)


def _headed(report: ChainReport, expected_seq: int, prev: str, passed: int) -> ChainReport:
    if passed:
        report.head_seq, report.head_hash = expected_seq - 1, prev
    return report


def _pages(conn: Connection, first: int | None, last: int | None) -> Iterator[list[tuple]]:  # type: ignore[type-arg]
    query = select(*[getattr(LogEntry, c) for c in _COLUMNS]).order_by(LogEntry.seq)
    if first is not None:
        query = query.where(LogEntry.seq >= first)
    if last is not None:  # appends committed after verify began are the next verify's business
        query = query.where(LogEntry.seq <= last)
    yield from raw_rows(conn, query, stream=True)


def _check(row: tuple, data: bytes, expected_seq: int, prev: str) -> Problem | None:  # type: ignore[type-arg]
    seq, prev_hash, entry_hash = row[0], row[6], row[7]
    if chain_hash(prev_hash, data) != entry_hash:
        return Problem(seq, "edited", "its content no longer matches its hash")
    if seq > expected_seq:
        missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}..{seq - 1}"
        return Problem(seq, "missing", f"entries {missing} are missing before it")
    if prev_hash != prev:
        return Problem(
            seq,
            "inserted-or-reordered",
            "its predecessor hash does not match the entry before it",
        )
    return None
