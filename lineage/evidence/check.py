"""Check an evidence pack the way a third party would: proofs, bytes and the signed head.

Uses the offline proof checker (`lineage.merkle.offline`, built on the stand-alone verifier), so
the app can show, before anyone downloads the pack, that it verifies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lineage.merkle.offline import check_document


@dataclass(frozen=True)
class PackCheck:
    ok: bool
    proven: int
    failures: list[str]
    under: str  # which key the head's signature was checked under


def check_pack(pack: dict[str, Any], public_key: str | None = None) -> PackCheck:
    """Every proof against the pack's head; `public_key` pins the key (hex) the head must verify
    under, otherwise the key embedded in the head is used (and `under` says so)."""
    failures: list[str] = []
    head = pack.get("head")
    if head is None:
        failures.append("no signed tree head: nothing in this pack can be proven yet")
    for item in pack.get("entries", []) if head else []:
        failures += _check_entry(item, head, public_key)
    if pack.get("uncovered"):
        seqs = ", ".join(str(e["seq"]) for e in pack["uncovered"][:10])
        failures.append(f"{len(pack['uncovered'])} entries are newer than the head: seq {seqs}")
    proven = len(pack.get("entries", [])) if head else 0
    under = (
        f"signature checked under the pinned key {public_key[:16]}"
        if public_key
        else "signature checked under the key the head carries: pin the log's key yourself"
    )
    return PackCheck(not failures, proven, failures, under)


def _check_entry(item: dict[str, Any], head: dict[str, Any], public_key: str | None) -> list[str]:
    proof = item["proof"]
    problems = [
        f"seq {item['seq']}: {step.what}"
        for step in check_document(proof, [head], public_key)
        if not step.ok
    ]
    header = json.loads(proof["entry"].split("\n", 1)[0])
    if header.get("seq") != proof["leaf_index"] + 1 or proof["leaf_index"] + 1 != item["seq"]:
        problems.append(f"seq {item['seq']}: the entry's header names seq {header.get('seq')}")
    return problems
