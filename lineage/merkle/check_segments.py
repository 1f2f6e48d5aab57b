"""The verify pass over a log with archived segments: the live ranges re-hashed as always, each
archived range bridged by its recorded boundary hashes and its stored Merkle leaves.

Between segments the chain is scanned from the hash the previous segment recorded as its last,
so the first entry after a segment must chain from it; a segment must start right after the
entry whose hash it recorded as its predecessor. Any row missing outside a segment is named.
The tree is rebuilt from the live entries' bytes and the archived entries' stored leaves, so an
edited leaf inside a segment is caught by the nodes above it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import Connection

from lineage.chain import GENESIS_HASH
from lineage.merkle.check import Snapshot, TreeCheck
from lineage.merkle.parallel import Half
from lineage.merkle.scan import ChainReport, Problem, scan_log


class Bridge(Protocol):
    """An archived range [first_seq, end_seq) and the chain hashes at its two ends."""

    @property
    def first_seq(self) -> int: ...

    @property
    def end_seq(self) -> int: ...

    @property
    def prev_hash(self) -> str: ...

    @property
    def last_hash(self) -> str: ...


# (segment, its stored leaves) -> the problems with the segment itself
SegmentCheck = Callable[[int, list[bytes]], list[Problem]]
Leaves = Callable[[int, int], list[bytes]]


def scan_with_segments(
    conn: Connection,
    snap: Snapshot,
    bridges: Sequence[Bridge],
    leaves_of: Leaves,
    check: SegmentCheck,
) -> Half:
    """One pass; `bridges` sorted by first_seq and disjoint (overlaps are reported)."""
    tree, chain = TreeCheck(conn, snap.stored_nodes), ChainReport()
    first, prev = 1, GENESIS_HASH
    for number, bridge in enumerate(bridges):
        if bridge.first_seq < first:
            detail = f"archived segment {bridge.first_seq}..{bridge.end_seq - 1} overlaps another"
            chain.problems.append(Problem(bridge.first_seq, "archive-overlap", detail))
            continue
        if bridge.first_seq > first:
            prev = _live(conn, tree, chain, first, bridge.first_seq - 1, prev)
        if prev != bridge.prev_hash:
            detail = (
                f"archived segment {bridge.first_seq}..{bridge.end_seq - 1} does not follow "
                f"entry {bridge.first_seq - 1}: its recorded predecessor hash differs"
            )
            chain.problems.append(Problem(bridge.first_seq, "archive-boundary", detail))
        leaves = leaves_of(bridge.first_seq, bridge.end_seq)
        tree.add_leaves(leaves)
        chain.problems.extend(check(number, leaves))
        first, prev = bridge.end_seq, bridge.last_hash
    if first <= snap.last_seq:
        _live(conn, tree, chain, first, snap.last_seq, prev)
    tree.flush()
    return Half(chain, tree)


def _live(
    conn: Connection, tree: TreeCheck, chain: ChainReport, first: int, last: int, prev: str
) -> str:
    """Scan live entries first..last into `chain`; the chain hash after them."""
    part = scan_log(conn, tree.add, first_seq=first, last_seq=last, prev=prev)
    chain.entries += part.entries
    chain.problems.extend(part.problems)
    if part.entries:
        chain.head_seq, chain.head_hash = part.head_seq, part.head_hash
    if part.head_seq != last:
        gone = f"{part.head_seq + 1 if part.entries else first}..{last}"
        detail = f"entries {gone} are missing and are in no archived segment"
        chain.problems.append(Problem(last, "missing", detail))
    return part.head_hash if part.entries else prev
