"""Figure 3: verifying the whole log, and proving inclusion and consistency at the log's size.

`verify_log` is the full check (`mlaudit verify`): chain, Merkle tree and signed heads, with a
head signed over the loaded log first (untimed), as the store's checkpoint schedule leaves one,
so the heads check has a signature and a root to compare. A proof
figure is the p95 over many random indexes of generating the proof from the store and checking
it with the stand-alone verifier.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine

from bench.common import Figure, figure, percentile
from lineage.keys import KeyStore
from lineage.merkle.heads import sign_head
from lineage.merkle.proofs import consistency_proof, inclusion_proof
from lineage.merkle.verifier import verify_consistency, verify_inclusion
from lineage.store import AuditStore
from lineage.verify import verify_log

VERIFY_TARGET = 200_000
PROOF_TARGET_MS = 10.0


def verify_rate(engine: Engine, keys: KeyStore) -> float:
    began = time.perf_counter()
    report = verify_log(engine, keys=keys)
    spent = time.perf_counter() - began
    if not report.ok:
        raise RuntimeError("verify_log found problems in a freshly loaded store")
    if report.heads.count == 0 or not report.heads.latest_ok:
        raise RuntimeError("verify_log checked no signed head")
    return report.chain.entries / spent


def _inclusion(conn: Connection, size: int, rng: random.Random) -> None:
    index = rng.randrange(size)
    proof = inclusion_proof(conn, index, size)
    if not verify_inclusion(proof.leaf_hash, index, size, proof.audit_path, proof.root):
        raise RuntimeError(f"inclusion proof of leaf {index} at size {size} does not verify")


def _consistency(conn: Connection, size: int, rng: random.Random) -> None:
    old = rng.randrange(1, size + 1)
    proof = consistency_proof(conn, old, size)
    if not verify_consistency(old, size, proof.proof, proof.old_root, proof.new_root):
        raise RuntimeError(f"consistency proof {old} -> {size} does not verify")


def proof_p95_ms(
    engine: Engine,
    size: int,
    prove: Callable[[Connection, int, random.Random], None],
    count: int,
    seed: int,
) -> float:
    rng = random.Random(seed)
    spent = []
    with engine.connect() as conn:
        for _ in range(count):
            began = time.perf_counter()
            prove(conn, size, rng)
            spent.append((time.perf_counter() - began) * 1e3)
    return percentile(spent, 0.95)


def integrity_figures(store: AuditStore, entries: int, *, repeats: int) -> list[Figure]:
    sign_head(store)
    engine = store.engine
    rates = [verify_rate(engine, store.keys) for _ in range(repeats)]
    count = 1000
    proofs = {
        "inclusion proof p95": _inclusion,
        "consistency proof p95": _consistency,
    }
    figures = [
        figure("verify whole log", rates, "entries/s", (">=", VERIFY_TARGET), f"{entries} entries")
    ]
    for name, prove in proofs.items():
        runs = [proof_p95_ms(engine, entries, prove, count, seed) for seed in range(repeats)]
        note = f"generate + verify, {count} random indexes at {entries} entries"
        figures.append(figure(name, runs, "ms", ("<=", PROOF_TARGET_MS), note))
    return figures
