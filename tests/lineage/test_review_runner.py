"""The review runner on SQLite and PostgreSQL: the `review.completed` event keeps what each review
returned, including the integrity review's new signed head, so the run's record names it."""

from __future__ import annotations

from collections.abc import Iterator

from scenario import ml_history

from lineage.findings import FindingDraft, list_findings
from lineage.merkle.heads import latest_head
from lineage.review.context import ReviewContext, ReviewWindow
from lineage.review.runner import COMPLETED_ACTION, SERVICE_PRINCIPAL, run_reviews
from lineage.store import AuditStore

NOW = "2026-02-01T00:00:00.000000Z"
WINDOW = ReviewWindow(None, NOW)


def completed(store: AuditStore) -> dict:  # type: ignore[type-arg]
    facets = [e["event"]["run"]["facets"].get("mlaudit_user_action") for e in store.entries()]
    runs = [f for f in facets if f and f["action"] == COMPLETED_ACTION]
    assert runs, "no review.completed event"
    return runs[-1]["details"]


def test_the_integrity_run_keeps_the_head_it_signed(store: AuditStore, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    run = run_reviews(store, ["integrity"], WINDOW, SERVICE_PRINCIPAL, config={}, now=NOW)
    assert run.ok
    with store.engine.connect() as conn:
        head = latest_head(conn)
    assert head is not None
    (review,) = completed(store)["reviews"]
    assert review["review"] == "integrity" and review["drafts"] == 0
    evidence = review["evidence"]
    assert evidence["ok"] is True and evidence["problems"] == 0
    signed = evidence["signed_head"]
    assert (signed["id"], signed["tree_size"], signed["root_hash"]) == (
        head.id,
        head.tree_size,
        head.root_hash,
    )
    assert signed["tree_size"] == evidence["entries"] == len(ml_history(kit))


def test_no_head_signed_is_recorded_as_none(store: AuditStore, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    config = {"integrity": {"sign_head": False}}
    run_reviews(store, ["integrity"], WINDOW, SERVICE_PRINCIPAL, config=config, now=NOW)
    (review,) = completed(store)["reviews"]
    assert review["evidence"]["signed_head"] is None
    with store.engine.connect() as conn:
        assert latest_head(conn) is None


def test_a_review_returning_drafts_only_records_no_evidence(store: AuditStore, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit)[:2])

    def generated(ctx: ReviewContext) -> Iterator[FindingDraft]:
        yield FindingDraft(
            kind="policy",
            rule="policy.tests",
            severity="low",
            subject="run:tests",
            title="A finding from a generator",
            explanation="Reviews may return any iterable of drafts.",
            evidence={},
        )

    extra = {"generated": generated}
    run = run_reviews(store, ["generated"], WINDOW, SERVICE_PRINCIPAL, extra=extra, now=NOW)
    assert run.ok and run.results[0].opened == 1
    (review,) = completed(store)["reviews"]
    assert "evidence" not in review and review["opened"] == 1
    assert [f.rule for f in list_findings(store.engine)] == ["policy.tests"]
