"""Stand-alone checks of RFC 6962 inclusion and consistency proofs.

No database and nothing from this project but `hashing` (SHA-256 with the 0x00/0x01 prefixes), so
an auditor can copy these two files and check exported proofs against exported signed heads. The
algorithms are RFC 9162 sections 2.1.3.2 and 2.1.4.2; edge cases follow transparency-dev/merkle
(the library behind Trillian), whose test vectors this module passes:

- a consistency proof from size 0 is an error (even 0 -> 0): it proves nothing;
- equal sizes need an empty proof and equal roots;
- every hash a proof is built from must be 32 bytes, so truncated or padded hashes are refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from lineage.merkle.hashing import HASH_SIZE, node_hash


class InvalidProof(ValueError):
    """The proof does not prove what it claims; the message says why."""


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when `proof` shows the leaf at `index` is in the tree of `size` leaves with `root`."""
    try:
        check_inclusion(leaf_hash, index, size, proof, root)
    except InvalidProof:
        return False
    return True


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> bool:
    """True when `proof` shows the tree (size2, root2) extends the tree (size1, root1)."""
    try:
        check_consistency(size1, size2, proof, root1, root2)
    except InvalidProof:
        return False
    return True


def check_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise InvalidProof unless the inclusion proof holds."""
    _sized("root", root)
    if root_from_inclusion(leaf_hash, index, size, proof) != root:
        raise InvalidProof("the proof leads to a different root")


def root_from_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof implies (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        raise InvalidProof(f"leaf index {index} is not inside a tree of size {size}")
    _sized("leaf hash", leaf_hash)
    for item in proof:
        _sized("proof hash", item)
    fn, sn, result = index, size - 1, leaf_hash
    for item in proof:
        if sn == 0:
            raise InvalidProof("the proof is longer than the path from the leaf to the root")
        if fn & 1 or fn == sn:
            result = node_hash(item, result)
            while fn and not fn & 1:  # skip levels where the right border has no sibling
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, item)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof("the proof is shorter than the path from the leaf to the root")
    return result


def check_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise InvalidProof unless the consistency proof holds (RFC 9162 section 2.1.4.2)."""
    if size2 < size1:
        raise InvalidProof(f"the new size {size2} is smaller than the old size {size1}")
    if size1 <= 0:
        raise InvalidProof("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise InvalidProof("equal sizes need an empty proof")
        if root1 != root2:
            raise InvalidProof("equal sizes but different roots")
        return
    if not proof:
        raise InvalidProof("the proof is empty")
    for name, value in (("old root", root1), ("new root", root2)):
        _sized(name, value)
    for item in proof:
        _sized("proof hash", item)
    old, new = _consistency_roots(size1, size2, list(proof), root1)
    if old != root1:
        raise InvalidProof("the proof does not lead to the old root")
    if new != root2:
        raise InvalidProof("the proof does not lead to the new root")


def _consistency_roots(
    size1: int, size2: int, path: list[bytes], root1: bytes
) -> tuple[bytes, bytes]:
    if size1 & (size1 - 1) == 0:  # the old tree is a perfect subtree: its root is the seed
        path = [root1, *path]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old = new = path[0]
    for item in path[1:]:
        if sn == 0:
            raise InvalidProof("the proof is longer than the path to the new root")
        if fn & 1 or fn == sn:
            old, new = node_hash(item, old), node_hash(item, new)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            new = node_hash(new, item)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProof("the proof is shorter than the path to the new root")
    return old, new


def _sized(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        size = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise InvalidProof(f"{name} must be {HASH_SIZE} bytes, got {size}")
