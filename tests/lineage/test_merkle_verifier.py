"""Adversarial proofs the verifier must refuse, and properties of generated proofs.

Proofs here come from the real stored tree (a SQLite store's node table); trees of every size
1..70 are checked exhaustively, against a plain recursive RFC 6962 implementation.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Connection

from lineage.merkle.hashing import EMPTY_ROOT, leaf_hash, node_hash
from lineage.merkle.layout import node_at, nodes_for_size, position, size_for_nodes
from lineage.merkle.proofs import ProofError, consistency_proof, inclusion_proof
from lineage.merkle.tree import Frontier, _store, root_at
from lineage.merkle.verifier import (
    InvalidProof,
    check_inclusion,
    verify_consistency,
    verify_inclusion,
)
from lineage.store import AuditStore

MAX_SIZE = 70


def mth(leaves: list[bytes]) -> bytes:
    """MTH of RFC 6962 section 2.1, straight from its recursive definition."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A stored tree of MAX_SIZE random entries, and the entries' leaf hashes."""
    rng = random.Random(6962)
    data = [rng.randbytes(rng.randrange(0, 64)) for _ in range(MAX_SIZE)]
    url = f"sqlite:///{tmp_path_factory.mktemp('tree') / 'audit.db'}"
    engine = AuditStore.open(url).engine
    with engine.begin() as conn:
        _store(conn, Frontier(), data)
    with engine.connect() as conn:
        yield conn, data, [leaf_hash(d) for d in data]
    engine.dispose()


def test_roots_at_every_size_equal_the_recursive_definition(tree) -> None:  # type: ignore[no-untyped-def]
    conn, data, leaves = tree
    incremental = Frontier()
    for size in range(MAX_SIZE + 1):
        if size:
            incremental.extend([data[size - 1]], [])
        expected = mth(leaves[:size])
        assert incremental.root() == expected == root_at(conn, size), size


def test_every_inclusion_proof_of_every_size_verifies(tree) -> None:  # type: ignore[no-untyped-def]
    conn, _, leaves = tree
    for size in range(1, MAX_SIZE + 1):
        root = mth(leaves[:size])
        for index in range(size):
            proof = inclusion_proof(conn, index, size)
            assert proof.leaf_hash == leaves[index] and proof.root == root
            assert verify_inclusion(leaves[index], index, size, proof.audit_path, root)
            assert len(proof.audit_path) <= (size - 1).bit_length()


def test_every_consistency_proof_verifies(tree) -> None:  # type: ignore[no-untyped-def]
    conn, _, leaves = tree
    roots = [mth(leaves[:n]) for n in range(MAX_SIZE + 1)]
    for new in range(1, MAX_SIZE + 1):
        for old in range(1, new + 1):
            proof = consistency_proof(conn, old, new)
            assert (proof.old_root, proof.new_root) == (roots[old], roots[new])
            assert verify_consistency(old, new, proof.proof, roots[old], roots[new]), (old, new)
            forged = bytes([roots[old][0] ^ 1]) + roots[old][1:]
            assert not verify_consistency(old, new, proof.proof, forged, roots[new])


def test_random_larger_trees(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(9162)
    engine = AuditStore.open(f"sqlite:///{tmp_path / 'big.db'}").engine
    data = [rng.randbytes(8) for _ in range(3000)]
    with engine.begin() as conn:
        frontier = Frontier()
        for start in range(0, len(data), 333):  # appends in uneven batches, like ingestion
            _store(conn, frontier, data[start : start + 333])
    leaves = [leaf_hash(d) for d in data]
    with engine.connect() as conn:
        for _ in range(200):
            size = rng.randrange(1, len(data) + 1)
            index, old = rng.randrange(size), rng.randrange(1, size + 1)
            root = mth(leaves[:size])
            proof = inclusion_proof(conn, index, size)
            assert verify_inclusion(leaves[index], index, size, proof.audit_path, root)
            step = consistency_proof(conn, old, size)
            assert verify_consistency(old, size, step.proof, mth(leaves[:old]), root)
    engine.dispose()


def test_layout_positions_are_post_order() -> None:
    seen = []
    for size in range(1, 200):
        created = nodes_for_size(size) - nodes_for_size(size - 1)
        seen.extend(node_at(pos) for pos in range(nodes_for_size(size - 1), nodes_for_size(size)))
        assert created == 1 + ((size & -size).bit_length() - 1)
        assert size_for_nodes(nodes_for_size(size)) == size
    assert [position(level, index) for level, index in seen] == list(range(len(seen)))


# Adversarial proofs: each is a real proof, changed the way an attacker would.


@pytest.fixture
def proof_of_5_in_13(tree):  # type: ignore[no-untyped-def]
    conn, _, leaves = tree
    proof = inclusion_proof(conn, 5, 13)
    return leaves, proof


def test_proof_for_a_leaf_at_another_index_fails(proof_of_5_in_13) -> None:  # type: ignore[no-untyped-def]
    leaves, p = proof_of_5_in_13
    for index in (4, 6, 7, 12):
        assert not verify_inclusion(p.leaf_hash, index, 13, p.audit_path, p.root)
    assert not verify_inclusion(leaves[6], 5, 13, p.audit_path, p.root)  # another leaf's hash


def test_padded_truncated_or_reordered_proofs_fail(proof_of_5_in_13) -> None:  # type: ignore[no-untyped-def]
    _, p = proof_of_5_in_13
    path = p.audit_path
    for bad in ([*path, path[0]], [path[0], *path], path[:-1], path[::-1], []):
        assert not verify_inclusion(p.leaf_hash, 5, 13, bad, p.root)
    # A size whose tree has another shape fails. (Sizes 9..16 share leaf 5's path shape, so the
    # proof alone does not pin the size: the signed head binds size and root together.)
    for size in (6, 8, 17, 32):
        assert not verify_inclusion(p.leaf_hash, 5, size, path, p.root)


def test_wrong_length_hashes_are_refused(proof_of_5_in_13) -> None:  # type: ignore[no-untyped-def]
    _, p = proof_of_5_in_13
    path = p.audit_path
    for bad in (path[0][:31], path[0] + b"\x00"):
        assert not verify_inclusion(p.leaf_hash, 5, 13, [bad, *path[1:]], p.root)
        assert not verify_inclusion(bad, 5, 13, path, p.root)
        assert not verify_inclusion(p.leaf_hash, 5, 13, path, bad)
    with pytest.raises(InvalidProof, match="32 bytes, got 31"):
        check_inclusion(p.leaf_hash, 5, 13, [path[0][:31], *path[1:]], p.root)


def test_an_interior_node_is_not_a_leaf(tree) -> None:  # type: ignore[no-untyped-def]
    """The 0x00/0x01 prefixes: an entry whose bytes are node (1, 0)'s children is not that node.

    Without them, bytes `left || right` claimed as one leaf of a half-size tree would verify.
    """
    conn, _, leaves = tree
    p = inclusion_proof(conn, 0, 8)
    forged = leaf_hash(leaves[0] + leaves[1])
    assert forged != node_hash(leaves[0], leaves[1])
    assert not verify_inclusion(forged, 0, 4, p.audit_path[1:], p.root)
    # The honest path from that node does reach the root: only the prefix stops the forgery.
    assert verify_inclusion(node_hash(leaves[0], leaves[1]), 0, 4, p.audit_path[1:], p.root)


def test_consistency_attacks_fail(tree) -> None:  # type: ignore[no-untyped-def]
    conn = tree[0]
    p = consistency_proof(conn, 5, 13)
    r5, r13 = p.old_root, p.new_root
    assert verify_consistency(5, 13, p.proof, r5, r13)
    assert not verify_consistency(13, 5, p.proof, r13, r5)  # from bigger to smaller
    assert not verify_consistency(13, 5, [], r13, r5)
    assert not verify_consistency(5, 13, [*p.proof, p.proof[0]], r5, r13)
    assert not verify_consistency(5, 13, p.proof[:-1], r5, r13)
    assert not verify_consistency(5, 13, [p.proof[0][:31], *p.proof[1:]], r5, r13)
    assert not verify_consistency(5, 13, p.proof, r13, r5)  # swapped roots
    assert not verify_consistency(4, 13, p.proof, r5, r13)  # wrong old size
    assert not verify_consistency(0, 13, [EMPTY_ROOT], EMPTY_ROOT, r13)  # from empty: meaningless
    assert not verify_consistency(13, 13, [r13], r13, r13)  # equal sizes need an empty proof
    assert verify_consistency(13, 13, [], r13, r13)


def test_proofs_outside_the_tree_are_refused(tree) -> None:  # type: ignore[no-untyped-def]
    conn: Connection = tree[0]
    with pytest.raises(ProofError):
        inclusion_proof(conn, 13, 13)
    with pytest.raises(ProofError):
        inclusion_proof(conn, 0, MAX_SIZE + 1)
    with pytest.raises(ProofError):
        consistency_proof(conn, 0, 5)
    with pytest.raises(ProofError):
        consistency_proof(conn, 6, 5)
