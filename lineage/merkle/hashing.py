"""RFC 6962 hashing: the only primitives a third party needs besides the proof algorithms.

Leaves and interior nodes get different one-byte prefixes (0x00, 0x01) so that a leaf can never be
passed off as an interior node (second-preimage resistance of the tree, RFC 6962 section 2.1).
"""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
# The root of the empty tree is the hash of the empty string (RFC 6962 section 2.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def fold(hashes: list[bytes]) -> bytes:
    """Combine the roots of consecutive perfect subtrees (largest first) into one root.

    RFC 6962 splits a tree at the largest power of two below its size, so the right-most, smallest
    subtrees combine first.
    """
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root
