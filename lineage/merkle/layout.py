"""Index arithmetic of the stored tree: where each node lives, and which nodes a question needs.

A node is the root of a perfect subtree: (level, index) covers leaves
[index * 2**level, (index + 1) * 2**level). Every such node, leaves included, is stored once its
subtree is complete, under its post-order position, which is also the order appends create them:

    position(level, index) = 2**(level + 1) * (index + 1) - 2 - popcount(index)

Appending leaf i stores the leaf, then one node per level it completes, at consecutive positions.
A tree of n leaves therefore holds exactly 2n - popcount(n) nodes at positions 0 .. that - 1, so
`verify` can compare the stored table with a recomputation in one ordered scan, and any root or
proof is a handful of primary-key reads. Leaf i is log entry seq i + 1.
"""

from __future__ import annotations

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # leaves [start, end)


def position(level: int, index: int) -> int:
    return ((index + 1) << (level + 1)) - 2 - index.bit_count()


def nodes_for_size(size: int) -> int:
    """How many nodes a tree of `size` leaves stores (also the position of the next leaf)."""
    return 2 * size - size.bit_count()


def size_for_nodes(count: int) -> int:
    """The largest tree size whose nodes fit in `count` stored nodes."""
    low, high = 0, count
    while low < high:
        mid = (low + high + 1) // 2
        if nodes_for_size(mid) <= count:
            low = mid
        else:
            high = mid - 1
    return low


def node_at(pos: int) -> Node:
    """(level, index) of the node stored at a position: for naming what a check found."""
    leaf = size_for_nodes(pos)  # the leaf whose append created this node
    level = pos - nodes_for_size(leaf)
    return level, leaf >> level


def leaves_of(level: int, index: int) -> Range:
    return index << level, (index + 1) << level


def split(width: int) -> int:
    """The largest power of two strictly below `width` (>= 2): where RFC 6962 splits a tree."""
    return 1 << ((width - 1).bit_length() - 1)


def subtrees(start: int, end: int) -> list[Node]:
    """The perfect subtrees, largest first, whose fold is MTH(D[start:end]).

    Every range the RFC 6962 recursion produces starts at a multiple of the power of two it
    splits at, so each piece is a stored, aligned node.
    """
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1 as leaf ranges, bottom-up."""
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def consistency_ranges(old: int, new: int) -> list[Range]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 6962 section 2.1.2 as leaf ranges."""
    proof: list[Range] = []
    start, end, m, whole = 0, new, old, True
    while m != end - start:
        k = split(end - start)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        # The old tree's root is not itself a node of the new tree: give the subtree it ends in.
        proof.append((start, end))
    proof.reverse()
    return proof
