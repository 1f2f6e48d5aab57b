"""Check an exported proof against exported signed heads, with no database: `mlaudit check-proof`.

Every step is reported, passed or failed, so an auditor sees what was and was not established:
the proof's own arithmetic (and, for an inclusion proof that carries its entry, the leaf hash
recomputed from the entry's bytes), each head's signature, and that each head's size and root are
the ones the proof connects. A head's signature only means something under a key the auditor
trusts: pass it pinned (`public_key`), or the key embedded in the head is used and said so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lineage.keys import public_key_id
from lineage.merkle.hashing import leaf_hash
from lineage.merkle.heads import HeadFormatError, SignedHead, public_key_from_hex, signature_ok
from lineage.merkle.verifier import InvalidProof, check_consistency, check_inclusion


@dataclass(frozen=True)
class Step:
    ok: bool
    what: str


def check_document(
    proof: dict[str, Any], heads: list[dict[str, Any]], public_key: str | None = None
) -> list[Step]:
    """Every check on an exported proof and the heads it should agree with."""
    try:
        steps = [_check_proof(proof)]
        for data in heads:
            steps += _check_head(proof, SignedHead.from_json(data), public_key)
    except (KeyError, TypeError, ValueError, HeadFormatError) as exc:
        missing = isinstance(exc, KeyError)
        return [Step(False, f"malformed proof or head: {'no field ' if missing else ''}{exc}")]
    if not heads:
        steps.append(Step(False, "no signed head: the proof is only checked against its own root"))
    return steps


def _check_proof(proof: dict[str, Any]) -> Step:
    try:
        if proof["type"] == "inclusion":
            return _check_inclusion(proof)
        if proof["type"] == "consistency":
            return _check_consistency(proof)
    except InvalidProof as exc:
        return Step(False, f"{proof['type']} proof does not verify: {exc}")
    raise ValueError(f"unknown proof type {proof.get('type')!r}")


def _check_inclusion(proof: dict[str, Any]) -> Step:
    leaf = _hash(proof["leaf_hash"])
    entry = proof.get("entry")
    if entry is not None and leaf_hash(entry.encode()) != leaf:
        return Step(False, "the entry's bytes do not hash to the proof's leaf hash")
    path = [_hash(h) for h in proof["audit_path"]]
    check_inclusion(leaf, proof["leaf_index"], proof["tree_size"], path, _hash(proof["root"]))
    source = "its entry's bytes" if entry is not None else "the given leaf hash"
    return Step(
        True,
        f"inclusion proof verifies: entry seq {proof['leaf_index'] + 1} (leaf from {source}) "
        f"is in the tree of {proof['tree_size']} entries with root {proof['root'][:16]}…",
    )


def _check_consistency(proof: dict[str, Any]) -> Step:
    old, new = proof["old_size"], proof["new_size"]
    path = [_hash(h) for h in proof["proof"]]
    check_consistency(old, new, path, _hash(proof["old_root"]), _hash(proof["new_root"]))
    return Step(
        True, f"consistency proof verifies: the tree of {new} entries extends that of {old}"
    )


def _check_head(proof: dict[str, Any], head: SignedHead, public_key: str | None) -> list[Step]:
    if public_key is not None:
        key, whose = public_key_from_hex(public_key), "the pinned key"
    else:
        key, whose = public_key_from_hex(head.public_key), "the key in the head (not pinned)"
        if public_key_id(key) != head.key_id:
            return [Step(False, f"{head.label()}: its public key does not match its key id")]
    signed = signature_ok(head, key)
    steps = [
        Step(signed, f"{head.label()}: signature {'verifies' if signed else 'FAILS'} under {whose}")
    ]
    sizes = _roots(proof)
    if head.tree_size not in sizes:
        steps.append(Step(False, f"{head.label()}: the proof is about sizes {sorted(sizes)}"))
    elif sizes[head.tree_size] != head.root_hash:
        steps.append(Step(False, f"{head.label()}: its root differs from the proof's root"))
    else:
        steps.append(Step(True, f"{head.label()}: its root is the proof's root at that size"))
    return steps


def _roots(proof: dict[str, Any]) -> dict[int, str]:
    if proof["type"] == "inclusion":
        return {proof["tree_size"]: proof["root"]}
    return {proof["old_size"]: proof["old_root"], proof["new_size"]: proof["new_root"]}


def _hash(text: str) -> bytes:
    """Hex to bytes; the verifier refuses anything that is not 32 bytes."""
    return bytes.fromhex(text)
