"""Inclusion and consistency proofs from stored nodes: O(log n) rows, one query, no rebuild."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from lineage.errors import AuditError
from lineage.merkle.hashing import fold
from lineage.merkle.layout import Node, Range, consistency_ranges, inclusion_ranges, subtrees
from lineage.merkle.tree import read_nodes, require, stored_size


class ProofError(AuditError):
    """A proof was asked for sizes or entries the tree cannot prove."""


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]
    root: bytes

    @property
    def seq(self) -> int:
        return self.leaf_index + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "inclusion",
            "seq": self.seq,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "audit_path": [h.hex() for h in self.audit_path],
            "root": self.root.hex(),
        }


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "consistency",
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": self.old_root.hex(),
            "new_root": self.new_root.hex(),
            "proof": [h.hex() for h in self.proof],
        }


def inclusion_proof(conn: Connection, index: int, size: int) -> InclusionProof:
    """The audit path of leaf `index` (entry seq index + 1) in the tree of `size` leaves."""
    _check_size(conn, size)
    if not 0 <= index < size:
        raise ProofError(f"entry seq {index + 1} is not in a tree of {size} entries")
    ranges = inclusion_ranges(index, size)
    leaf, root_nodes = (0, index), subtrees(0, size)
    found = _read(conn, ranges, [leaf, *root_nodes])
    return InclusionProof(
        leaf_index=index,
        tree_size=size,
        leaf_hash=found[leaf],
        audit_path=[_range_hash(found, r) for r in ranges],
        root=fold(require(found, root_nodes)),
    )


def consistency_proof(conn: Connection, old: int, new: int) -> ConsistencyProof:
    """PROOF(old, D[new]): the tree of `new` leaves extends the tree of `old` leaves."""
    _check_size(conn, new)
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}: need 0 < old <= new")
    ranges = consistency_ranges(old, new)
    old_nodes, new_nodes = subtrees(0, old), subtrees(0, new)
    found = _read(conn, ranges, [*old_nodes, *new_nodes])
    return ConsistencyProof(
        old_size=old,
        new_size=new,
        old_root=fold(require(found, old_nodes)),
        new_root=fold(require(found, new_nodes)),
        proof=[_range_hash(found, r) for r in ranges],
    )


def _check_size(conn: Connection, size: int) -> None:
    stored, _ = stored_size(conn)
    if not 0 < size <= stored:
        raise ProofError(f"the tree has {stored} entries; cannot prove against size {size}")


def _read(conn: Connection, ranges: list[Range], extra: list[Node]) -> dict[Node, bytes]:
    """Every node the proof and its roots need, in one primary-key query."""
    nodes = [node for start, end in ranges for node in subtrees(start, end)]
    wanted = [*nodes, *extra]
    found = read_nodes(conn, wanted)
    require(found, wanted)
    return found


def _range_hash(found: dict[Node, bytes], span: Range) -> bytes:
    return fold([found[node] for node in subtrees(*span)])
