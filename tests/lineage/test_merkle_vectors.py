"""The stand-alone verifier against transparency-dev/merkle's RFC 6962 test vectors.

Every vector under tests/fixtures/merkle (copied from ../shared/merkle-test-vectors, see its
SOURCES.md) must give the answer upstream gives: `wantErr` says whether the proof must fail.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lineage.merkle.hashing import EMPTY_ROOT, leaf_hash
from lineage.merkle.proofs import consistency_proof, inclusion_proof
from lineage.merkle.tree import Frontier, root_at
from lineage.merkle.verifier import verify_consistency, verify_inclusion

VECTORS = Path(__file__).resolve().parents[1] / "fixtures" / "merkle"
REFERENCE = json.loads((VECTORS / "reference_tree.json").read_text())
LEAVES = [bytes.fromhex(h) for h in REFERENCE["leafInputsHex"]]
ROOTS = [bytes.fromhex(h) for h in REFERENCE["rootHashesHexBySize"]]


def _files(kind: str) -> list[str]:
    return sorted(p.relative_to(VECTORS).as_posix() for p in (VECTORS / kind).rglob("*.json"))


def _load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text())


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _proof(data: dict[str, Any]) -> list[bytes]:
    return [_b64(h) for h in data["proof"] or []]


def test_every_upstream_vector_is_here() -> None:
    assert (len(_files("inclusion")), len(_files("consistency"))) == (98, 98)


@pytest.mark.parametrize("name", _files("inclusion"))
def test_inclusion_vector(name: str) -> None:
    v = _load(name)
    ok = verify_inclusion(
        _b64(v["leafHash"]), v["leafIdx"], v["treeSize"], _proof(v), _b64(v["root"])
    )
    assert ok is not v["wantErr"], v["desc"]


@pytest.mark.parametrize("name", _files("consistency"))
def test_consistency_vector(name: str) -> None:
    v = _load(name)
    ok = verify_consistency(v["size1"], v["size2"], _proof(v), _b64(v["root1"]), _b64(v["root2"]))
    assert ok is not v["wantErr"], v["desc"]


def test_reference_roots_incrementally() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    for size in range(9):
        frontier = Frontier()
        frontier.extend(LEAVES[:size], [])
        assert frontier.root() == ROOTS[size], size


@pytest.fixture
def reference_tree(sqlite_url: str) -> Engine:
    """The upstream reference tree (8 leaves) in a real store's node table."""
    from lineage.merkle.tree import _store
    from lineage.store import AuditStore

    engine = AuditStore.open(sqlite_url).engine
    with engine.begin() as conn:
        _store(conn, Frontier(), LEAVES)
    return engine


def test_reference_roots_from_stored_nodes(reference_tree: Engine) -> None:
    with reference_tree.connect() as conn:
        assert [root_at(conn, size) for size in range(9)] == ROOTS


@pytest.mark.parametrize("name", [n for n in _files("inclusion") if "happy-path" in n])
def test_stored_tree_gives_upstream_inclusion_proofs(reference_tree: Engine, name: str) -> None:
    v = _load(name)
    with reference_tree.connect() as conn:
        proof = inclusion_proof(conn, v["leafIdx"], v["treeSize"])
    assert proof.leaf_hash == _b64(v["leafHash"]) == leaf_hash(LEAVES[v["leafIdx"]])
    assert (proof.audit_path, proof.root) == (_proof(v), _b64(v["root"]))


@pytest.mark.parametrize("name", [n for n in _files("consistency") if "happy-path" in n])
def test_stored_tree_gives_upstream_consistency_proofs(reference_tree: Engine, name: str) -> None:
    v = _load(name)
    with reference_tree.connect() as conn:
        proof = consistency_proof(conn, v["size1"], v["size2"])
    assert proof.proof == _proof(v)
    assert (proof.old_root, proof.new_root) == (_b64(v["root1"]), _b64(v["root2"]))
