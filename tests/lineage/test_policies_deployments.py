"""The deployment policies on SQLite and PostgreSQL: evaluations, thresholds, regressions,
deployers; each violation staged through ingested events, and a governed history stays quiet."""

from __future__ import annotations

from typing import Any

import pytest
from test_policies_support import History, at, context, deployment_subject, rules_of

from lineage.accounts import service
from lineage.cli.session import LOCAL_OPERATOR
from lineage.privacy import pseudonym_for
from lineage.review.policies import review_policies

THRESHOLDS = {"policies": {"metric_threshold": {"metrics": {"accuracy": 0.9, "log_loss": 0.5}}}}


@pytest.fixture
def history(store: Any, kit: Any) -> History:
    return History(store, kit)


def test_a_governed_history_raises_nothing(history: History) -> None:
    history.governed()
    assert review_policies(context(history.store, THRESHOLDS)) == []


def test_deployments_without_a_passing_evaluation(history: History, kit: Any) -> None:
    history.train("train1", at(0), [history.data("clean", "c1")], "m1")
    history.deploy("deploy1", at(1), "m1")  # never evaluated
    history.train("train2", at(2), [history.data("clean", "c1")], "m2")
    history.evaluate("eval2", at(3), "m2", {"accuracy": 0.7}, passed=False)
    history.deploy("deploy2", at(4), "m2", action="update", previous="m1")
    history.train("train3", at(5), [history.data("clean", "c1")], "m3")
    history.deploy("deploy3", at(6), "m3", action="update", previous="m2")
    history.evaluate("eval3", at(7), "m3", {"accuracy": 0.95})  # passed, but only afterwards
    history.deploy("deploy4", at(8), "m1", action="rollback", previous="m3")
    drafts = [
        d
        for d in review_policies(context(history.store))
        if d.rule == "policy.deployed_without_evaluation"
    ]
    subjects = {d.subject: d for d in drafts}
    assert sorted(subjects) == sorted(
        deployment_subject(kit, run) for run in ("deploy1", "deploy2", "deploy3", "deploy4")
    )
    failed = subjects[deployment_subject(kit, "deploy2")]
    assert "accuracy_at_least_0_9" in failed.explanation
    assert failed.evidence["failed_checks"] == ["accuracy_at_least_0_9"]
    assert failed.evidence["version"] == "m2" and failed.severity == "high"
    assert (
        "no evaluation of that version" in subjects[deployment_subject(kit, "deploy1")].explanation
    )


def test_the_window_limits_which_deployments_are_judged(history: History, kit: Any) -> None:
    history.train("train1", at(0), [history.data("clean", "c1")], "m1")
    history.deploy("deploy1", at(1), "m1")
    history.deploy("deploy2", at(0, day=3), "m1", environment="staging")
    window = {"since": "2026-01-02T00:00:00.000000Z", "until": "2026-01-04T00:00:00.000000Z"}
    drafts = review_policies(context(history.store, **window))
    assert rules_of(drafts) == [
        ("policy.deployed_without_evaluation", deployment_subject(kit, "deploy2"))
    ]
    assert drafts[0].occurred_at == "2026-01-03T10:00:00.000000Z"


def test_metric_thresholds_are_quiet_until_configured(history: History, kit: Any) -> None:
    history.governed()
    config = {"policies": {"metric_threshold": {"metrics": {"accuracy": 0.955, "log_loss": 0.19}}}}
    drafts = review_policies(context(history.store, config))
    assert rules_of(drafts) == [
        ("policy.metric_below_threshold", deployment_subject(kit, "deploy1"))
    ]
    breaches = {b["metric"]: b for b in drafts[0].evidence["breaches"]}
    assert breaches["accuracy"]["value"] == 0.95 and breaches["accuracy"]["limit"] == 0.955
    assert breaches["log_loss"]["lower_is_better"] is True  # 0.20 above a maximum of 0.19
    assert "accuracy 0.95 < minimum 0.955" in drafts[0].explanation
    assert "log_loss 0.2 > maximum 0.19" in drafts[0].explanation


def test_a_worse_replacement_is_a_regression(history: History, kit: Any) -> None:
    history.train("train1", at(0), [history.data("clean", "c1")], "m1")
    history.evaluate("eval1", at(1), "m1", {"accuracy": 0.95, "rmse": 0.30})
    history.deploy("deploy1", at(2), "m1")
    history.train("train2", at(3), [history.data("clean", "c1")], "m2")
    history.evaluate("eval2", at(4), "m2", {"accuracy": 0.93, "rmse": 0.35})
    history.deploy("deploy2", at(5), "m2", action="update", previous="m1")
    history.deploy("deploy3", at(6), "m1", action="rollback", previous="m2")
    drafts = review_policies(context(history.store))
    assert rules_of(drafts) == [("policy.metric_regression", deployment_subject(kit, "deploy2"))]
    found = {r["metric"]: r for r in drafts[0].evidence["regressions"]}
    assert found["accuracy"]["previous_value"] == 0.95 and found["rmse"]["lower_is_better"]
    assert drafts[0].severity == "medium" and "over version m1" in drafts[0].explanation
    tolerant = {"policies": {"metric_regression": {"tolerance": 0.05}}}
    assert review_policies(context(history.store, tolerant)) == []
    only_rmse = {"policies": {"metric_regression": {"metrics": ["rmse"], "tolerance": 0.01}}}
    [draft] = review_policies(context(history.store, only_rmse))
    assert [r["metric"] for r in draft.evidence["regressions"]] == ["rmse"]
    rollbacks = {"policies": {"metric_regression": {"actions": ["rollback"]}}}
    assert rules_of(review_policies(context(history.store, rollbacks))) == []


def test_deployers_are_judged_by_their_account(history: History, kit: Any) -> None:
    history.governed()
    history.deploy("by_alice", at(0, day=3), "m2", environment="staging", actor="alice")
    history.deploy("by_bob", at(1, day=3), "m2", environment="staging", actor="bob")
    history.deploy("by_dave", at(2, day=3), "m2", environment="staging", actor="dave")
    history.deploy("nobody", at(3, day=3), "m2", environment="staging", actor=None)
    # No accounts: the rule cannot judge and stays quiet.
    assert [d for d in review_policies(context(history.store)) if "deployer" in d.rule] == []
    service.add_user(history.store, LOCAL_OPERATOR, "carol", ["admin"])
    service.add_user(history.store, LOCAL_OPERATOR, "alice", ["ml_engineer"], projects=["test/*"])
    service.add_user(history.store, LOCAL_OPERATOR, "bob", ["ml_engineer"], projects=["other/*"])
    drafts = [d for d in review_policies(context(history.store)) if "deployer" in d.rule]
    subjects = {d.subject: d for d in drafts}
    assert sorted(subjects) == sorted(
        deployment_subject(kit, run) for run in ("by_bob", "by_dave", "nobody")
    )
    bob = subjects[deployment_subject(kit, "by_bob")]
    assert "do not grant deploy_models on test/model" in bob.explanation
    bob_pseudonym = pseudonym_for("bob", history.store.keys.pseudonym_key())
    assert bob.evidence["actor"] == bob_pseudonym and "bob" not in bob.explanation.split()
    assert subjects[deployment_subject(kit, "by_dave")].evidence["problem"] == "matches no account"
    assert "by an unidentified actor" in subjects[deployment_subject(kit, "nobody")].explanation
