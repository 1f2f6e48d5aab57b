"""The signed-head checks of `mlaudit verify`: every head against the tree, and its signature.

A head larger than the log means entries were removed from the log's end, which the hash chain
alone cannot see; a head whose root is not the tree's root at its size, or from which no
consistency proof to the current tree verifies, means history was rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection

from lineage.errors import IntegrityError
from lineage.merkle.heads import SignedHead, signature_ok
from lineage.merkle.proofs import consistency_proof
from lineage.merkle.tree import root_at
from lineage.merkle.verifier import InvalidProof, check_consistency


@dataclass(frozen=True)
class HeadProblem:
    head_id: int | None
    kind: str  # untrusted-key | bad-signature | log-truncated | tree-truncated | root-mismatch
    #            | inconsistent
    detail: str


@dataclass
class HeadsReport:
    count: int = 0
    latest: SignedHead | None = None
    problems: list[HeadProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def latest_ok(self) -> bool | None:
        if self.latest is None:
            return None
        return not any(p.head_id == self.latest.id for p in self.problems)


def check_heads(
    conn: Connection,
    heads: list[SignedHead],
    *,
    log_size: int,
    tree_size: int,
    trusted: dict[str, Ed25519PublicKey],
) -> HeadsReport:
    report = HeadsReport(count=len(heads), latest=heads[-1] if heads else None)
    current = _root_or_none(conn, tree_size)
    for head in heads:
        problem = _signature_problem(head, trusted)
        if problem:
            report.problems.append(problem)
        problem = _tree_problem(conn, head, log_size, tree_size, current)
        if problem:
            report.problems.append(problem)
    return report


def _signature_problem(
    head: SignedHead, trusted: dict[str, Ed25519PublicKey]
) -> HeadProblem | None:
    key = trusted.get(head.key_id)
    if key is None:
        detail = f"{head.label()}: signed by key {head.key_id!r}, which is not a trusted key"
        return HeadProblem(head.id, "untrusted-key", detail)
    if not signature_ok(head, key):
        return HeadProblem(head.id, "bad-signature", f"{head.label()}: signature does not verify")
    return None


def _tree_problem(
    conn: Connection, head: SignedHead, log_size: int, tree_size: int, current: bytes | None
) -> HeadProblem | None:
    if head.tree_size > log_size:
        detail = (
            f"log truncated: signed head of {head.timestamp} covers {head.tree_size} entries, "
            f"log has {log_size}"
        )
        return HeadProblem(head.id, "log-truncated", detail)
    if head.tree_size > tree_size:
        detail = f"{head.label()}: covers {head.tree_size} entries, the tree only {tree_size}"
        return HeadProblem(head.id, "tree-truncated", detail)
    claimed = _hex(head.root_hash)
    actual = _root_or_none(conn, head.tree_size)
    if claimed is None or claimed != actual:
        shown = actual.hex()[:16] if actual else "unreadable"
        detail = (
            f"{head.label()}: its root {head.root_hash[:16]}… is not the tree's root at size "
            f"{head.tree_size} ({shown}…)"
        )
        return HeadProblem(head.id, "root-mismatch", detail)
    return _consistency_problem(conn, head, claimed, tree_size, current)


def _consistency_problem(
    conn: Connection, head: SignedHead, root: bytes, tree_size: int, current: bytes | None
) -> HeadProblem | None:
    if head.tree_size == 0:
        return None  # the empty tree is a prefix of every tree; its root was checked above
    try:
        proof = consistency_proof(conn, head.tree_size, tree_size)
        check_consistency(head.tree_size, tree_size, proof.proof, root, current or b"")
    except (InvalidProof, IntegrityError) as exc:
        detail = f"{head.label()}: not consistent with the tree of {tree_size} entries: {exc}"
        return HeadProblem(head.id, "inconsistent", detail)
    return None


def _root_or_none(conn: Connection, size: int) -> bytes | None:
    try:
        return root_at(conn, size)
    except IntegrityError:
        return None


def _hex(text: str) -> bytes | None:
    try:
        return bytes.fromhex(text)
    except (TypeError, ValueError):
        return None
