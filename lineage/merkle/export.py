"""Proofs as JSON for `mlaudit prove`: self-contained, so an auditor can check them offline.

An inclusion proof carries the entry's bytes (as text) so the checker recomputes the leaf hash
itself, and the signed head it was made against, when there is one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from lineage.merkle.entries import entries_bytes
from lineage.merkle.heads import latest_head
from lineage.merkle.proofs import ProofError, consistency_proof, inclusion_proof
from lineage.merkle.tree import stored_size


def export_inclusion(engine: Engine, seq: int, size: int | None = None) -> dict[str, Any]:
    """Entry `seq` against the tree of `size` entries (default: the latest signed head's size)."""
    with engine.connect() as conn, conn.begin():
        head, defaulted = None, size is None
        if size is None:
            head = latest_head(conn)
            size = head.tree_size if head else stored_size(conn)[0]
        else:
            head = latest_head(conn, size)
        if not 0 < seq <= size:
            raise ProofError(_outside(seq, size, signed=defaulted and head is not None))
        proof = inclusion_proof(conn, seq - 1, size)
        entry = next(entries_bytes(conn, seq - 1, seq), None)
    document = proof.to_json()
    document["entry"] = entry.decode() if entry is not None else None
    document["head"] = head.to_json() if head else None
    return document


def _outside(seq: int, size: int, *, signed: bool) -> str:
    """Why entry `seq` has no proof in the tree of `size`, and what to do about it."""
    said = f"entry seq {seq} is not in a tree of {size} entries"
    if seq > size and signed:
        said += (
            f" (the latest signed head covers {size}: sign one that covers it with "
            "`mlaudit checkpoint`, or pass --size)"
        )
    return said


def export_consistency(engine: Engine, old: int, new: int) -> dict[str, Any]:
    """The tree of `new` entries extends that of `old` entries; with the heads of those sizes."""
    with engine.connect() as conn, conn.begin():
        proof = consistency_proof(conn, old, new)
        heads = [h for h in (latest_head(conn, old), latest_head(conn, new)) if h]
    document = proof.to_json()
    document["heads"] = [h.to_json() for h in heads]
    return document
