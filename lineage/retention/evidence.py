"""Merkle evidence that a segment's entries are leaves [first, end) of a signed tree.

No database: the archiver reads the listed nodes from the store, the offline checker folds them
with the leaves it recomputes from the archived entries. Every node outside the segment that the
RFC 6962 recursion for the head's size needs is given; nothing inside it is, so the segment's
part of the root can only come from the archived bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from lineage.merkle.hashing import fold, node_hash
from lineage.merkle.layout import Node, split, subtrees


def leaves_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of the leaf hashes taken as a list of their own (RFC 6962, empty list: SHA-256(''))."""
    roots: list[bytes] = []
    for size, leaf in enumerate(leaves, start=1):
        node = leaf
        for _ in range((size & -size).bit_length() - 1):  # one merge per completed subtree
            node = node_hash(roots.pop(), node)
        roots.append(node)
    return fold(roots)


def evidence_nodes(first: int, end: int, size: int) -> list[Node]:
    """The stored nodes, outside leaves [first, end), that the root of `size` leaves folds in."""

    def walk(s: int, e: int) -> list[Node]:
        if e <= first or s >= end:
            return subtrees(s, e)
        if first <= s and e <= end:
            return []
        k = split(e - s)
        return walk(s, s + k) + walk(s + k, e)

    return walk(0, size)


def root_with_segment(
    size: int, first: int, end: int, leaves: Sequence[bytes], known: dict[Node, bytes]
) -> bytes:
    """The root of `size` leaves from the segment's own leaves and the evidence nodes.

    Raises KeyError naming a (level, index) the evidence lacks.
    """
    if len(leaves) != end - first:
        raise ValueError(f"{len(leaves)} leaves for a segment of {end - first}")

    def walk(s: int, e: int) -> bytes:
        if e <= first or s >= end:
            return fold([known[node] for node in subtrees(s, e)])
        if first <= s and e <= end:
            return leaves_root(leaves[s - first : e - first])
        k = split(e - s)
        return node_hash(walk(s, s + k), walk(s + k, e))

    return walk(0, size)
