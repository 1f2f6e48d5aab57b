"""Build an evidence pack: a model version's trace plus the proofs that make it checkable.

Every entry the trace relies on comes with its exact bytes and an RFC 6962 inclusion proof
against the latest signed tree head, so a third party holding the log's public key can check,
with `lineage/merkle/verifier.py` alone, that these events are in the log the operator signed.
Entries newer than that head cannot be proven yet: they are listed as `uncovered`, never hidden.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from lineage.evidence.collect import relied_on
from lineage.merkle.entries import entries_bytes
from lineage.merkle.heads import SignedHead, latest_head
from lineage.merkle.proofs import inclusion_proof
from lineage.queries import trace
from lineage.timeutil import now_store_time

FORMAT = "mlaudit evidence pack v1"


def build_pack(
    engine: Engine, model: str, *, version: str | None = None, namespace: str | None = None
) -> dict[str, Any]:
    """The evidence pack of one model version as JSON-ready data."""
    traced = trace(engine, model, version=version, namespace=namespace)
    with engine.connect() as conn, conn.begin():
        head = latest_head(conn)
        entries = relied_on(conn, traced)
        proven, uncovered = _prove(conn, entries, head)
    return {
        "format": FORMAT,
        "generated_at": now_store_time(),
        "model": traced["model"],
        "head": head.to_json() if head else None,
        "trace": traced,
        "entries": proven,
        "uncovered": uncovered,
        "how_to_verify": HOW_TO_VERIFY,
    }


def _prove(
    conn: Connection, entries: list[dict[str, Any]], head: SignedHead | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    size = head.tree_size if head else 0
    proven, uncovered = [], []
    for entry in entries:
        if entry["seq"] > size:
            uncovered.append(entry)
            continue
        proof = inclusion_proof(conn, entry["seq"] - 1, size).to_json()
        data = next(entries_bytes(conn, entry["seq"] - 1, entry["seq"]))
        proven.append({**entry, "proof": {**proof, "entry": data.decode()}})
    return proven, uncovered


HOW_TO_VERIFY = [
    "Pin the log's Ed25519 public key from a source you trust (not from this pack).",
    "Check the signed head: rebuild its text 'mlaudit tree head v1\\nsize N\\nroot R\\n"
    "time T\\nkey K\\n' from its fields and verify `signature` under the pinned key.",
    "For each entry: leaf = SHA-256(0x00 || entry bytes) must equal proof.leaf_hash, and "
    "verifier.check_inclusion(leaf, leaf_index, tree_size, audit_path, root) must pass with "
    "tree_size and root equal to the head's.",
    "The first line of each entry's bytes is its header: its seq must equal leaf_index + 1. "
    "The rest is the OpenLineage event the trace was derived from.",
    "Each proof is also a file `mlaudit check-proof PROOF.json --head HEAD.json "
    "--public-key HEX` accepts.",
    "Entries listed as uncovered are newer than the head: ask for a pack after the next "
    "`mlaudit checkpoint`.",
]
