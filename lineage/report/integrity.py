"""The integrity evidence of a report: the verify result, the signed heads of the period, and a
consistency proof from the period's first head to its last, so a reader can check that the log
at the end of the period extends the log at its start (RFC 9162 consistency)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from lineage.errors import IntegrityError
from lineage.merkle.heads import SignedHead, latest_head, stored_heads
from lineage.merkle.proofs import ProofError, consistency_proof
from lineage.merkle.tree import NODES
from lineage.merkle.verifier import InvalidProof, check_consistency
from lineage.models import LogEntry
from lineage.verify import IntegrityReport, report_json


def store_identity(conn: Connection) -> dict[str, Any]:
    """What names the log: its first entry's chain hash and Merkle leaf. Another store (or one
    rebuilt from other events) differs. The leaf stays when retention archives the entry."""
    first = conn.execute(select(LogEntry.entry_hash).where(LogEntry.seq == 1)).scalar()
    leaf = conn.execute(select(NODES.c.hash).where(NODES.c.pos == 0)).scalar()
    return {"first_entry_hash": first, "first_leaf_hash": bytes(leaf).hex() if leaf else None}


def verification(report: IntegrityReport) -> dict[str, Any]:
    """`mlaudit verify` as of building the report, without the per-node detail."""
    full = report_json(report)
    return {
        "ok": full["ok"],
        "entries": full["entries"],
        "head_hash": full["head_hash"],
        "tree_root": full["tree"]["root"],
        "signed_heads": full["heads"]["count"],
        "problems": [
            {"check": p["check"], "kind": p["kind"], "detail": p["detail"]}
            for p in full["problems"]
        ],
    }


def period_heads(
    conn: Connection, since: str, until: str, reference: SignedHead | None
) -> dict[str, Any]:
    """Heads signed in the period, the last one before it, and the proof that the head the
    report is built against (`reference`, often signed after the period) extends the first."""
    heads = stored_heads(conn)
    before = [h for h in heads if h.timestamp < since]
    within = [h for h in heads if since <= h.timestamp <= until]
    chain = ([before[-1]] if before else []) + within
    if reference is not None and reference.id not in {h.id for h in chain}:
        chain.append(reference)
    return {
        "at_start": before[-1].to_json() if before else None,
        "in_period": [h.to_json() for h in within],
        "at_end": within[-1].to_json() if within else None,
        "consistency": _consistency(conn, chain[0], chain[-1]) if len(chain) > 1 else None,
    }


def _consistency(conn: Connection, old: SignedHead, new: SignedHead) -> dict[str, Any]:
    """The proof that `new` extends `old`, and whether it verifies against the heads' own roots."""
    result: dict[str, Any] = {"from_head": old.id, "to_head": new.id}
    if old.tree_size == 0 or old.tree_size == new.tree_size:
        same = old.root_hash == new.root_hash or old.tree_size == 0
        return {**result, "proof": None, "verifies": same}
    try:
        proof = consistency_proof(conn, old.tree_size, new.tree_size)
        check_consistency(
            old.tree_size,
            new.tree_size,
            proof.proof,
            bytes.fromhex(old.root_hash),
            bytes.fromhex(new.root_hash),
        )
    except (ProofError, IntegrityError) as exc:
        return {**result, "proof": None, "verifies": False, "problem": str(exc)}
    except InvalidProof as exc:
        return {**result, "proof": proof.to_json(), "verifies": False, "problem": str(exc)}
    return {**result, "proof": proof.to_json(), "verifies": True}


def reference_head(conn: Connection) -> SignedHead | None:
    """The head the report is built against: the newest one."""
    return latest_head(conn)
