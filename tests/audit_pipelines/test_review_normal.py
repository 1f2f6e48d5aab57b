"""Normal activity raises no policy or anomaly finding; training on patient records without an
approval does. Real Dagster runs on a real instance, captured into a real store, reviewed with
the code the schedules run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions
from isolated_home import isolated_home

from audit_pipelines.capture.sensor import capture_until_idle
from audit_pipelines.definitions import build_definitions
from audit_pipelines.demo_history import (
    approve_patient_records,
    create_accounts,
    import_routine_history,
)
from audit_pipelines.ml.deployment import DeploymentConfig
from audit_pipelines.review.run import run_review_jobs
from audit_pipelines.scenario import launch
from lineage.findings import list_findings
from lineage.review.context import ReviewWindow
from lineage.review.runner import ReviewRun
from lineage.store import AuditStore
from lineage.timeutil import now_store_time


@dataclass(frozen=True)
class Reviewed:
    store: AuditStore
    unapproved: ReviewRun
    unapproved_since: str
    normal: ReviewRun
    normal_since: str


def train_and_review(
    instance: DagsterInstance, defs: Definitions, store: AuditStore, deploy: bool
) -> tuple[ReviewRun, str]:
    since = now_store_time()
    launch(defs, instance, "training_pipeline", "alice", {})
    if deploy:
        production = {"breast_cancer_deployment": DeploymentConfig(environment="production")}
        launch(defs, instance, "deploy_model", "alice", production)
    capture_until_idle(instance, defs, store)
    window = ReviewWindow(since, now_store_time())
    return run_review_jobs(store, instance, ["policies", "anomalies"], window), since


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reviewed]:
    home = tmp_path_factory.mktemp("normal") / "home"
    with isolated_home(home) as settings:
        store = AuditStore.open(settings.database_url, settings=settings)
        defs = build_definitions(home, settings.database_url)
        with DagsterInstance.get() as instance:
            # Alice trains on the patient records before anyone approved it.
            unapproved, unapproved_since = train_and_review(instance, defs, store, deploy=False)
            # Then the ordinary way: accounts with proper roles, the team's history, an
            # approval, and alice training and deploying at her usual hour.
            people = create_accounts(store, Path(home))
            import_routine_history(store, datetime.now(UTC))
            approve_patient_records(store, people.principal(store, "carol"))
            normal, normal_since = train_and_review(instance, defs, store, deploy=True)
        yield Reviewed(store, unapproved, unapproved_since, normal, normal_since)
        store.close()


def test_training_on_patient_records_without_approval_is_found(reviewed: Reviewed) -> None:
    found = list_findings(reviewed.store.engine, kind="policy")
    unapproved = [f for f in found if f.rule == "policy.personal_data_without_approval"]
    datasets = sorted(f.evidence["dataset"] for f in unapproved)
    assert datasets == ["dagster/clean_breast_cancer", "dagster/raw_breast_cancer"]
    assert all(f.first_seen < reviewed.normal_since for f in unapproved)


def test_normal_activity_raises_no_policy_or_anomaly_finding(reviewed: Reviewed) -> None:
    assert reviewed.normal.ok, reviewed.normal.as_dict()
    counts = [(r.name, r.opened, r.seen_again, r.reopened) for r in reviewed.normal.results]
    assert counts == [("policies", 0, 0, 0), ("anomalies", 0, 0, 0)]


def test_the_unapproved_phase_opened_only_the_approval_findings(reviewed: Reviewed) -> None:
    assert reviewed.unapproved.ok
    rules = {f.rule for f in list_findings(reviewed.store.engine)}
    assert rules == {"policy.personal_data_without_approval"}
