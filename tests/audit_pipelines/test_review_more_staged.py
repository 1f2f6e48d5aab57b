"""The governance violations and anomalies the demo does not stage, staged once through real
Dagster runs on a real instance, captured into a real store and reviewed with the code the
schedules run: a release of a version whose release gate failed (deployed without a passing
evaluation, below the configured thresholds, a drop against the model's history) and a purge of
the project's stored data (mass deletion). A normal release before them raises none of these."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions, RunConfig
from isolated_home import isolated_home

from audit_pipelines.capture.sensor import capture_until_idle
from audit_pipelines.demo_history import (
    approve_patient_records,
    create_accounts,
    import_routine_history,
)
from audit_pipelines.ml.purge import PurgeConfig, purge_project_data
from audit_pipelines.ml.storage import default_resources
from audit_pipelines.review.run import run_review_jobs
from audit_pipelines.staging_extra import (
    RELEASE_MODEL,
    SOUND_MODELS,
    WEAK_MODEL,
    Release,
    purge,
    release,
    staging_definitions,
    train,
    write_metric_thresholds,
)
from lineage.findings import FindingView, list_findings
from lineage.privacy import pseudonym_for
from lineage.review.context import ReviewWindow
from lineage.review.runner import ReviewRun
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

THRESHOLDS = {"accuracy": 0.93, "roc_auc": 0.95}
STAGED_RULES = {
    "policy.deployed_without_evaluation",
    "policy.metric_below_threshold",
    "anomaly.mass_deletion",
    "anomaly.metric_drop_at_deploy",
}
REVIEWS = ["policies", "anomalies"]


@dataclass(frozen=True)
class Staged:
    store: AuditStore
    earlier: list[str]
    normal: Release
    normal_review: ReviewRun
    normal_since: str
    weak: Release
    purge_run: str
    staged_review: ReviewRun
    staged_since: str

    def person(self, name: str) -> str:
        return pseudonym_for(name, self.store.keys.pseudonym_key())

    def found(self, rule: str, *, since: str | None = None) -> list[FindingView]:
        found = list_findings(self.store.engine)
        return [f for f in found if f.rule == rule and (since is None or f.first_seen >= since)]

    def only(self, rule: str) -> FindingView:
        (finding,) = self.found(rule)
        return finding


def reviewed(
    instance: DagsterInstance, defs: Definitions, store: AuditStore, since: str
) -> ReviewRun:
    capture_until_idle(instance, defs, store)
    return run_review_jobs(store, instance, REVIEWS, ReviewWindow(since, now_store_time()))


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staged]:
    home = tmp_path_factory.mktemp("more_staged") / "home"
    with isolated_home(home) as settings:
        write_metric_thresholds(home, THRESHOLDS)
        store = AuditStore.open(settings.database_url, settings=settings)
        defs = staging_definitions(home, settings.database_url)
        people = create_accounts(store, Path(home))
        import_routine_history(store, datetime.now(UTC))
        approve_patient_records(store, people.principal(store, "carol"))
        with DagsterInstance.get() as instance:
            # The model's history: sound versions alice trained earlier (not reviewed here).
            earlier = [train(defs, instance, "alice", model) for model in SOUND_MODELS]
            capture_until_idle(instance, defs, store)
            normal_since = now_store_time()
            normal = release(defs, instance, "alice", RELEASE_MODEL)
            normal_review = reviewed(instance, defs, store, normal_since)
            staged_since = now_store_time()
            weak = release(defs, instance, "alice", WEAK_MODEL)
            purge_run = purge(defs, instance, "carol")
            staged_review = reviewed(instance, defs, store, staged_since)
        yield Staged(
            store,
            earlier,
            normal,
            normal_review,
            normal_since,
            weak,
            purge_run,
            staged_review,
            staged_since,
        )
        store.close()


def test_a_normal_release_raises_no_policy_or_anomaly_finding(staged: Staged) -> None:
    assert staged.normal_review.ok, staged.normal_review.as_dict()
    counts = [(r.name, r.opened, r.seen_again, r.reopened) for r in staged.normal_review.results]
    assert counts == [("policies", 0, 0, 0), ("anomalies", 0, 0, 0)]
    assert len({*staged.earlier, staged.normal.version}) == 4  # four distinct versions


def test_deploying_a_version_whose_release_gate_failed_is_deployed_without_evaluation(
    staged: Staged,
) -> None:
    finding = staged.only("policy.deployed_without_evaluation")
    assert finding.evidence["version"] == staged.weak.version
    assert finding.evidence["environment"] == "production"
    assert finding.evidence["failed_checks"] == ["accuracy_at_least_0_9", "roc_auc_at_least_0_95"]
    assert "only evaluations with failed checks (accuracy_at_least_0_9" in finding.explanation
    assert finding.severity == "high"


def test_a_release_below_the_configured_thresholds_names_each_breach(staged: Staged) -> None:
    finding = staged.only("policy.metric_below_threshold")
    assert finding.evidence["version"] == staged.weak.version
    breaches = {b["metric"]: b for b in finding.evidence["breaches"]}
    assert set(breaches) == {"accuracy", "roc_auc"}
    assert [breaches[m]["limit"] for m in ("accuracy", "roc_auc")] == [0.93, 0.95]
    accuracy = breaches["accuracy"]["value"]
    assert accuracy < 0.9  # the release gate's own limit, missed
    assert f"accuracy {accuracy:g} < minimum 0.93" in finding.explanation
    assert "roc_auc" in finding.explanation and "minimum 0.95" in finding.explanation


def test_a_weak_version_deployed_after_sound_ones_is_a_metric_drop(staged: Staged) -> None:
    finding = staged.only("anomaly.metric_drop_at_deploy")
    assert finding.subject == f"model:dagster/breast_cancer_model@{staged.weak.version}"
    assert finding.evidence["earlier_versions"] == 4
    assert finding.evidence["action"] == "update"
    drops = {d["metric"]: d for d in finding.evidence["drops"]}
    assert "roc_auc" in drops
    roc = drops["roc_auc"]
    assert roc["baseline"]["median"] > 0.99 and roc["observed"] < 0.9
    assert f"roc_auc {roc['observed']:g} against a median of" in finding.explanation
    assert "over the 4 earlier evaluated versions" in finding.explanation


def test_the_weak_release_also_regresses_on_the_version_it_replaced(staged: Staged) -> None:
    finding = staged.only("policy.metric_regression")
    assert finding.evidence["version"] == staged.weak.version
    assert finding.evidence["previous_version"] == staged.normal.version


def test_purging_the_project_is_a_mass_deletion_by_carol(staged: Staged) -> None:
    finding = staged.only("anomaly.mass_deletion")
    assert finding.subject == f"actor:{staged.person('carol')}"
    # Five stored values (raw, clean, features, model, evaluation) and five model artifacts.
    assert finding.evidence["observed"] == 10
    assert finding.evidence["peak_hour_deletions"] == 10
    assert finding.evidence["baseline"]["mean"] == 0
    deleted = {d["dataset"] for d in finding.evidence["deleted"]}
    assert {"dagster/raw_breast_cancer", "dagster/breast_cancer_model"} <= deleted
    artifacts = [d for d in deleted if d.endswith(".joblib")]
    assert len(artifacts) == 5
    assert "10 dataset deletions on" in finding.explanation
    assert "Baseline: mean 0.00 deletions per day" in finding.explanation
    assert finding.severity == "high"


def test_each_staged_rule_fired_once_and_only_in_the_staged_period(staged: Staged) -> None:
    assert staged.staged_review.ok, staged.staged_review.as_dict()
    found = {rule: staged.found(rule) for rule in STAGED_RULES}
    assert {rule: len(f) for rule, f in found.items()} == dict.fromkeys(STAGED_RULES, 1)
    assert all(f.first_seen >= staged.staged_since for fs in found.values() for f in fs)


@pytest.mark.parametrize(
    ("reason", "stored", "error"),
    [("decommission", False, "nothing stored under"), ("  ", True, "needs a reason")],
)
def test_a_purge_without_data_or_reason_fails_and_deletes_nothing(
    tmp_path: Path, dagster_instance: DagsterInstance, reason: str, stored: bool, error: str
) -> None:
    value = tmp_path / "storage" / "raw_breast_cancer"
    if stored:
        value.parent.mkdir(parents=True)
        value.write_bytes(b"rows")
    job = Definitions(
        jobs=[purge_project_data], resources=default_resources(tmp_path)
    ).resolve_job_def("purge_project_data")
    config = RunConfig(ops={"purge_stored_data": PurgeConfig(reason=reason)})
    result = job.execute_in_process(
        run_config=config, instance=dagster_instance, raise_on_error=False
    )
    assert not result.success
    assert error in str(result.failure_data_for_node("purge_stored_data").error)
    assert value.is_file() == stored
