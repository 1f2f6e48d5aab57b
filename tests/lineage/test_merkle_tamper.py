"""Every kind of tampering is detected and located by `verify_log`, on SQLite and PostgreSQL.

The attacker has database access: triggers are dropped first (tamper.py, tamper_tree.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scenario import ml_history
from sqlalchemy import Engine, exc, text
from tamper import drop_guards, execute
from tamper_tree import (
    cut_log_tail,
    cut_tree_tail,
    drop_tree_guards,
    rewrite_history,
    set_node,
)

from lineage.chain import chain_hash, entry_bytes, entry_header
from lineage.merkle.heads import SignedHead, sign_head
from lineage.store import AuditStore
from lineage.verify import verify_log


@dataclass
class Signed:
    store: AuditStore
    heads: tuple[SignedHead, SignedHead]

    @property
    def engine(self) -> Engine:
        return self.store.engine


@pytest.fixture
def signed(store, kit) -> Signed:  # type: ignore[no-untyped-def]
    """Ten entries, a head signed at 6 and one at 10 (kept by an auditor, and in the store)."""
    events = ml_history(kit)
    store.ingest(events[:6])
    first = sign_head(store)
    store.ingest(events[6:])
    return Signed(store, (first, sign_head(store)))


def kinds(problems) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.kind for p in problems]


def test_intact_store_verifies_everything(signed) -> None:  # type: ignore[no-untyped-def]
    report = verify_log(signed.engine)
    assert report.ok, (report.chain.problems, report.tree.problems, report.heads.problems)
    assert (report.tree.size, report.heads.count, report.heads.latest.tree_size) == (10, 2, 10)
    assert report.tree.root == report.tree.recomputed_root
    assert report.tree.root.hex() == signed.heads[1].root_hash


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE merkle_nodes SET hash = hash WHERE pos = 3",
        "DELETE FROM merkle_nodes WHERE pos = 3",
        "UPDATE tree_heads SET tree_size = 5",
        "DELETE FROM tree_heads",
    ],
)
def test_database_refuses_changes_to_the_tree(signed, statement: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc.DBAPIError, match="append-only"):
        execute(signed.engine, statement)
    assert verify_log(signed.engine).ok


@pytest.mark.parametrize("table", ["merkle_nodes", "tree_heads"])
def test_postgres_refuses_truncating_the_tree(pg_url: str, kit, table: str) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(pg_url)
    store.ingest(ml_history(kit))
    sign_head(store)
    with pytest.raises(exc.DBAPIError, match="append-only"):
        execute(store.engine, f"TRUNCATE {table}")
    assert verify_log(store.engine).ok
    store.close()


def test_edited_entry_is_named_by_chain_and_tree(signed) -> None:  # type: ignore[no-untyped-def]
    drop_guards(signed.engine)
    execute(
        signed.engine,
        "UPDATE audit_log SET payload = replace(payload, 'COMPLETE', 'FAIL') WHERE seq = 3",
    )
    report = verify_log(signed.engine)
    assert (report.chain.problems[0].seq, report.chain.problems[0].kind) == (3, "edited")
    tree = report.tree.problems[0]
    assert (tree.kind, tree.seq, tree.level, tree.index) == ("leaf-mismatch", 3, 0, 2)
    assert "entry seq 3" in tree.detail


def test_deleted_entry_is_named(signed) -> None:  # type: ignore[no-untyped-def]
    drop_guards(signed.engine)
    execute(signed.engine, "DELETE FROM entry_categories WHERE seq = 4")
    execute(signed.engine, "DELETE FROM audit_log WHERE seq = 4")
    report = verify_log(signed.engine)
    problem = report.chain.problems[0]
    assert (problem.seq, problem.kind) == (5, "missing") and "4" in problem.detail
    assert report.tree.problems[0].seq == 4  # leaf 4 now meets entry 5's bytes
    assert "size-mismatch" in kinds(report.tree.problems)


def test_reordered_entries_are_named(signed) -> None:  # type: ignore[no-untyped-def]
    drop_guards(signed.engine)
    with signed.engine.begin() as conn:
        payloads = dict(
            conn.execute(text("SELECT seq, payload FROM audit_log WHERE seq IN (6, 7)")).all()
        )
        for seq, other in ((6, 7), (7, 6)):
            conn.execute(
                text("UPDATE audit_log SET payload = :p WHERE seq = :s"),
                {"p": payloads[other], "s": seq},
            )
    report = verify_log(signed.engine)
    assert (report.chain.problems[0].seq, report.chain.problems[0].kind) == (6, "edited")
    assert (report.tree.problems[0].kind, report.tree.problems[0].seq) == ("leaf-mismatch", 6)


def test_inserted_entry_is_named(signed) -> None:  # type: ignore[no-untyped-def]
    drop_guards(signed.engine)
    with signed.engine.begin() as conn:
        conn.execute(text("DELETE FROM entry_categories WHERE seq >= 5"))
        for seq in range(10, 4, -1):
            conn.execute(text("UPDATE audit_log SET seq = seq + 1 WHERE seq = :s"), {"s": seq})
        prev = conn.execute(text("SELECT entry_hash FROM audit_log WHERE seq = 4")).scalar_one()
        header = entry_header(
            seq=5,
            key="f" * 64,
            received_at="2026-01-01T00:00:00.000000Z",
            submitter=None,
            normalizations="[]",
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (seq, key, received_at, event_time, event_type, producer, "
                "normalizations, payload, prev_hash, entry_hash) VALUES (5, :k, "
                "'2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', 'COMPLETE', 'x', "
                "'[]', '{}', :prev, :h)"
            ),
            {"k": "f" * 64, "prev": prev, "h": chain_hash(prev, entry_bytes(header, "{}"))},
        )
    report = verify_log(signed.engine)
    assert (report.chain.problems[0].seq, report.chain.problems[0].kind) == (6, "edited")
    assert (report.tree.problems[0].kind, report.tree.problems[0].seq) == ("leaf-mismatch", 5)
    assert "the tree holds 10 leaves but the log has 11 entries" in [
        p.detail for p in report.tree.problems
    ]


def test_tail_truncation_is_caught_by_the_signed_head(signed) -> None:  # type: ignore[no-untyped-def]
    """The attacker removes the last entries and their leaves: chain and tree stay coherent."""
    drop_guards(signed.engine)
    drop_tree_guards(signed.engine)
    cut_log_tail(signed.engine, keep=8)
    cut_tree_tail(signed.engine, keep=8)
    report = verify_log(signed.engine)
    assert report.chain.ok and report.tree.ok and not report.ok
    [problem] = report.heads.problems
    head = signed.heads[1]
    assert (problem.kind, problem.head_id) == ("log-truncated", head.id)
    assert problem.detail == (
        f"log truncated: signed head of {head.timestamp} covers 10 entries, log has 8"
    )


def test_tail_truncation_of_the_log_alone_is_caught_twice(signed) -> None:  # type: ignore[no-untyped-def]
    drop_guards(signed.engine)
    cut_log_tail(signed.engine, keep=9)
    report = verify_log(signed.engine)
    assert report.chain.ok
    assert kinds(report.tree.problems) == ["size-mismatch"]
    assert kinds(report.heads.problems) == ["log-truncated"]


def test_altered_head_signature_is_named(signed) -> None:  # type: ignore[no-untyped-def]
    drop_tree_guards(signed.engine)
    first = signed.heads[0]
    flipped = ("0" if first.signature[0] != "0" else "1") + first.signature[1:]
    execute(
        signed.engine, "UPDATE tree_heads SET signature = :s WHERE id = :i", s=flipped, i=first.id
    )
    [problem] = verify_log(signed.engine).heads.problems
    assert (problem.kind, problem.head_id) == ("bad-signature", first.id)
    assert f"signed head #{first.id} of {first.timestamp}" in problem.detail


def test_altered_head_root_is_named(signed) -> None:  # type: ignore[no-untyped-def]
    drop_tree_guards(signed.engine)
    last = signed.heads[1]
    execute(
        signed.engine, "UPDATE tree_heads SET root_hash = :r WHERE id = :i", r="ab" * 32, i=last.id
    )
    report = verify_log(signed.engine)
    assert report.chain.ok and report.tree.ok
    assert {(p.kind, p.head_id) for p in report.heads.problems} == {
        ("bad-signature", last.id),
        ("root-mismatch", last.id),
    }
    assert report.heads.latest_ok is False


def test_altered_tree_node_is_named(signed) -> None:  # type: ignore[no-untyped-def]
    drop_tree_guards(signed.engine)
    set_node(signed.engine, 1, 2, b"\x07" * 32)
    report = verify_log(signed.engine)
    assert report.chain.ok
    [problem] = report.tree.problems
    assert (problem.kind, problem.level, problem.index) == ("node-mismatch", 1, 2)
    assert "entries 5..6" in problem.detail


def test_altered_leaf_and_frontier_node_are_named(signed) -> None:  # type: ignore[no-untyped-def]
    drop_tree_guards(signed.engine)
    set_node(signed.engine, 3, 0, b"\x07" * 32)  # the root of the first 8 entries
    report = verify_log(signed.engine)
    assert (report.tree.problems[0].level, report.tree.problems[0].index) == (3, 0)
    # Both heads now disagree with the stored tree: the head of size 10 by its root, the head
    # of size 6 because no consistency proof through the altered node verifies.
    assert kinds(report.heads.problems) == ["inconsistent", "root-mismatch"]


def test_rewritten_history_is_caught_only_by_the_heads(signed) -> None:  # type: ignore[no-untyped-def]
    drop_guards(signed.engine)
    drop_tree_guards(signed.engine)
    rewrite_history(signed.engine, 3, "COMPLETE", "ABORT")
    report = verify_log(signed.engine)
    assert report.chain.ok and report.tree.ok
    assert [(p.kind, p.head_id) for p in report.heads.problems] == [
        ("root-mismatch", head.id) for head in signed.heads
    ]
