"""The integrity review on SQLite and PostgreSQL: a clean log signs a head; tampering is critical.

The attacker has database access: triggers are dropped first (tamper.py, tamper_tree.py).
"""

from __future__ import annotations

import pytest
from scenario import ml_history
from sqlalchemy import func, select
from tamper import drop_guards, execute
from tamper_tree import cut_log_tail, cut_tree_tail, drop_tree_guards

from lineage.merkle.heads import SignedHead, latest_head, sign_head
from lineage.models.merkle import TreeHead
from lineage.review.config import ReviewConfigError
from lineage.review.context import ReviewContext, ReviewWindow
from lineage.review.integrity import review_integrity, run_integrity_review
from lineage.store import AuditStore

NOW = "2026-02-01T00:00:00.000000Z"


@pytest.fixture
def signed(store: AuditStore, kit) -> tuple[SignedHead, SignedHead]:  # type: ignore[no-untyped-def]
    events = ml_history(kit)
    store.ingest(events[:6])
    first = sign_head(store)
    store.ingest(events[6:])
    return first, sign_head(store)


def context(store: AuditStore, **config: object) -> ReviewContext:
    return ReviewContext(store, ReviewWindow(None, NOW), NOW, {"integrity": config})


def head_count(store: AuditStore) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(TreeHead)).scalar_one()


def by_rule(findings) -> dict:  # type: ignore[no-untyped-def]
    return {f.rule: f for f in findings}


def test_a_clean_log_raises_nothing_and_signs_a_head(store, signed) -> None:  # type: ignore[no-untyped-def]
    outcome = run_integrity_review(context(store))
    assert outcome.findings == []
    with store.engine.connect() as conn:
        newest = latest_head(conn)
    assert newest is not None and newest.id == outcome.signed.id != signed[1].id
    evidence = outcome.evidence()
    assert evidence["ok"] is True and evidence["entries"] == 10
    assert evidence["signed_head"]["tree_size"] == 10
    assert evidence["signed_head"]["root_hash"] == signed[1].root_hash == newest.root_hash


def test_signing_can_be_turned_off(store, signed) -> None:  # type: ignore[no-untyped-def]
    assert review_integrity(context(store, sign_head=False)) == []
    assert head_count(store) == 2


@pytest.mark.parametrize(
    ("config", "message"),
    [({"sign": True}, "sign: unknown key"), ({"max_listed": "3"}, "max_listed: expected int")],
)
def test_a_bad_configuration_names_the_key(store, config, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReviewConfigError, match=message):
        review_integrity(context(store, **config))


def test_an_edited_entry_is_critical_and_named(store, signed) -> None:  # type: ignore[no-untyped-def]
    drop_guards(store.engine)
    execute(
        store.engine,
        "UPDATE audit_log SET payload = replace(payload, 'COMPLETE', 'FAIL') WHERE seq = 3",
    )
    outcome = run_integrity_review(context(store))
    found = by_rule(outcome.findings)
    chain, tree = found["integrity.chain"], found["integrity.tree"]
    assert (chain.subject, chain.severity, chain.kind) == ("log:chain@3", "critical", "integrity")
    assert chain.evidence["first_bad_seq"] == 3 and chain.evidence["kind"] == "edited"
    assert "entry seq 3" in chain.title
    assert (tree.subject, tree.evidence["kind"]) == ("log:tree@seq 3", "leaf-mismatch")
    assert outcome.signed is None and head_count(store) == 2, "a tampered log is never signed"


def test_a_persisting_failure_keeps_its_fingerprints(store, signed) -> None:  # type: ignore[no-untyped-def]
    drop_guards(store.engine)
    execute(store.engine, "DELETE FROM entry_categories WHERE seq = 4")
    execute(store.engine, "DELETE FROM audit_log WHERE seq = 4")
    first = {f.fingerprint for f in review_integrity(context(store))}
    later = ReviewContext(store, ReviewWindow(None, NOW), "2026-03-01T00:00:00.000000Z", {})
    assert first == {f.fingerprint for f in review_integrity(later)}
    assert by_rule(review_integrity(later))["integrity.chain"].subject == "log:chain@5"


def test_truncation_is_caught_by_the_signed_head(store, signed) -> None:  # type: ignore[no-untyped-def]
    drop_guards(store.engine)
    drop_tree_guards(store.engine)
    cut_log_tail(store.engine, keep=8)
    cut_tree_tail(store.engine, keep=8)
    [finding] = review_integrity(context(store))
    assert (finding.rule, finding.subject) == ("integrity.heads", f"log:head#{signed[1].id}")
    assert finding.evidence["kind"] == "log-truncated"
    assert "covers 10 entries, log has 8" in finding.explanation


def test_a_forged_signature_is_named(store, signed) -> None:  # type: ignore[no-untyped-def]
    drop_tree_guards(store.engine)
    first = signed[0]
    flipped = ("0" if first.signature[0] != "0" else "1") + first.signature[1:]
    execute(
        store.engine, "UPDATE tree_heads SET signature = :s WHERE id = :i", s=flipped, i=first.id
    )
    [finding] = review_integrity(context(store))
    assert (finding.subject, finding.evidence["kind"]) == (f"log:head#{first.id}", "bad-signature")
    assert finding.severity == "critical"


def test_consecutive_heads_that_disagree_are_named(store, signed) -> None:  # type: ignore[no-untyped-def]
    drop_tree_guards(store.engine)
    first, second = signed
    execute(
        store.engine, "UPDATE tree_heads SET root_hash = :r WHERE id = :i", r="ab" * 32, i=first.id
    )
    findings = review_integrity(context(store))
    kinds = {(f.subject, f.evidence["kind"]) for f in findings}
    assert (f"log:head#{first.id}", "root-mismatch") in kinds
    assert (f"log:head#{second.id}", "inconsistent-pair") in kinds
    pair = next(f for f in findings if f.evidence["kind"] == "inconsistent-pair")
    assert f"signed head #{first.id}" in pair.explanation
