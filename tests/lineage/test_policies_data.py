"""The data policies on SQLite and PostgreSQL: training data changed under a live model, personal
data without approval, runs without an actor."""

from __future__ import annotations

from typing import Any

import pytest
from test_policies_support import History, at, context, later, rules_of, run_subject

from lineage.cli.session import LOCAL_OPERATOR
from lineage.privacy import pseudonym_for
from lineage.review.policies import review_policies
from lineage.review.policies.approvals import approve

CHANGED = "policy.training_data_changed"
PERSONAL = "policy.personal_data_without_approval"


@pytest.fixture
def history(store: Any, kit: Any) -> History:
    return History(store, kit)


def _of(drafts: list[Any], rule: str) -> list[Any]:
    return [d for d in drafts if d.rule == rule]


def _first_model_live(history: History) -> None:
    """m1 is trained, evaluated and deployed; then its data moves on (by bob's hand)."""
    history.new_data(1)
    history.release(1, {"accuracy": 0.95})
    history.new_data(2, actor="bob")


def test_new_versions_under_a_live_model(history: History) -> None:
    _first_model_live(history)
    drafts = _of(review_policies(context(history.store)), CHANGED)
    found = {d.dedupe: d for d in drafts}
    assert sorted(found) == ["dataset:test/clean", "dataset:test/raw"]
    assert {d.subject for d in drafts} == {"model:test/model@m1"}
    raw = found["dataset:test/raw"]
    bob = pseudonym_for("bob", history.store.keys.pseudonym_key())
    assert raw.evidence["changes"][0]["actor"] == bob and raw.evidence["depth"] == 2
    assert raw.evidence["changes"][0]["version"] == "r2"
    assert f"got version 'r2' at 2026-01-02T10:00:30.000000Z by {bob}" in raw.explanation
    assert "upstream of its inputs" in raw.explanation and "production" in raw.explanation
    direct = {"policies": {"training_data_changed": {"depth": "direct"}}}
    assert [d.dedupe for d in _of(review_policies(context(history.store, direct)), CHANGED)] == [
        "dataset:test/clean"
    ]
    # At the end of day one nothing had changed yet.
    assert (
        _of(review_policies(context(history.store, until="2026-01-01T23:00:00.000000Z")), CHANGED)
        == []
    )


def test_deleted_training_data_and_a_replaced_model(history: History) -> None:
    _first_model_live(history)
    history.delete("drop", at(5, day=2), "clean")
    drafts = _of(review_policies(context(history.store)), CHANGED)
    clean = next(d for d in drafts if d.dedupe == "dataset:test/clean")
    assert [c["action"] for c in clean.evidence["changes"]] == ["modify", "delete"]
    history.delete("drop_raw", at(6, day=2), "raw")
    raw = next(
        d for d in _of(review_policies(context(history.store)), CHANGED) if "raw" in d.dedupe
    )
    assert "1 later change(s)" in raw.explanation
    # Once m1 is replaced, it no longer serves: the rule looks at the state at the window's end.
    history.train("train2", at(0, day=3), [history.data("raw", "r2")], "m2")
    history.deploy("deploy2", at(1, day=3), "m2", action="update", previous="m1")
    assert _of(review_policies(context(history.store)), CHANGED) == []


def test_training_on_personal_data_needs_an_approval_first(history: History, kit: Any) -> None:
    h = history
    h.write("ingest", at(0), h.personal("patients", "p1"))
    h.step(
        "features",
        "features",
        at(1),
        inputs=[h.personal("patients", "p1")],
        outputs=[h.data("features", "f1")],
    )
    h.train("unapproved", at(2), [h.data("features", "f1")], "m1")
    approve(h.store, LOCAL_OPERATOR, "test/patients", "cancer screening model", None)
    h.train("approved", later(1), [h.data("features", "f1")], "m2")
    drafts = _of(review_policies(context(h.store)), PERSONAL)
    assert rules_of(drafts) == [(PERSONAL, run_subject(kit, "unapproved"))]
    [draft] = drafts
    assert draft.dedupe == "dataset:test/patients" and draft.severity == "high"
    assert draft.evidence["depth"] == 2 and draft.evidence["models"] == ["test/model@m1"]
    assert draft.evidence["approvals"][0]["purpose"] == "cancer screening model"
    assert "approvals were given later" in draft.explanation
    direct = {"policies": {"personal_data_without_approval": {"depth": "direct"}}}
    assert _of(review_policies(context(h.store, direct)), PERSONAL) == []


def test_expired_approvals_and_configured_personal_names(history: History, kit: Any) -> None:
    h = history
    h.write("ingest", at(0), h.data("hr/staff", "s1"))
    approve(h.store, LOCAL_OPERATOR, "test/hr/staff", "attrition model", "2026-01-02")
    h.train("train", later(2), [h.data("hr/staff", "s1")], "m1")
    assert _of(review_policies(context(h.store)), PERSONAL) == []  # not tagged, not named
    named = {"sensitivity": {"personal_data": ["test/hr/*"]}}
    [draft] = _of(review_policies(context(h.store, named)), PERSONAL)
    assert draft.subject == run_subject(kit, "train") and draft.evidence["depth"] == 1
    assert draft.evidence["approvals"][0]["expires"] == "2026-01-02T23:59:59.999999Z"


def test_runs_without_an_actor(history: History, kit: Any) -> None:
    h = history
    h.governed()
    h.write("anonymous", at(0, day=3), h.data("raw", "r3"), actor=None)
    h.write("placeholder", at(1, day=3), h.data("raw", "r4"), actor="unknown")
    parent = h.kit.facet("ParentRunFacet")
    parent.update(
        _schemaURL="https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet",
        run={"runId": kit.run_id("placeholder")},
        job={"namespace": "test", "name": "build"},
    )
    h.step("child", "child", at(2, day=3), actor="unknown", parent=parent)
    drafts = _of(review_policies(context(h.store)), "policy.run_without_actor")
    assert sorted(d.subject for d in drafts) == sorted(
        run_subject(kit, run) for run in ("anonymous", "placeholder")
    )
    folded = next(d for d in drafts if d.subject == run_subject(kit, "placeholder"))
    assert folded.evidence["child_runs"] == [kit.run_id("child")]
    assert "placeholder actor 'unknown'" in folded.explanation
    scoped = {"policies": {"run_without_actor": {"jobs": ["test/train*"]}}}
    assert _of(review_policies(context(h.store, scoped)), "policy.run_without_actor") == []
