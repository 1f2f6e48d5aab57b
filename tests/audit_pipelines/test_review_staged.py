"""The demo's staged incidents, run once in process on a real Dagster instance and a real store:
each is found by the review meant to find it, on the subject it concerns, and running the
reviews again opens nothing new (findings are deduplicated)."""

from __future__ import annotations

import contextlib
import io
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance
from isolated_home import isolated_home

from audit_pipelines.demo import run_demo
from audit_pipelines.demo_history import CREDENTIALS_FILE
from audit_pipelines.review.run import review_window, run_review_jobs
from lineage.accounts.auth import login
from lineage.findings import FindingView, list_findings
from lineage.privacy import pseudonym_for
from lineage.settings import Settings
from lineage.store import AuditStore
from lineage.verify import verify_chain


@dataclass(frozen=True)
class Staged:
    home: Path
    settings: Settings
    store: AuditStore
    result: dict[str, Any]
    findings: list[FindingView]

    def person(self, name: str) -> str:
        return pseudonym_for(name, self.store.keys.pseudonym_key())

    def by_rule(self, rule: str) -> list[FindingView]:
        return [f for f in self.findings if f.rule == rule]


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staged]:
    home = tmp_path_factory.mktemp("staged") / "home"
    with isolated_home(home, instance_yaml=False) as settings:
        with contextlib.redirect_stdout(io.StringIO()):
            result = run_demo(settings, as_json=True, staged=True)
        store = AuditStore.open(settings.database_url, settings=settings)
        yield Staged(home, settings, store, result, list_findings(store.engine))
        store.close()


def test_a_viewer_deploying_from_dagster_is_an_unauthorized_deployer(staged: Staged) -> None:
    found = staged.by_rule("policy.unauthorized_deployer")
    by_dave = [f for f in found if f.evidence.get("actor") == staged.person("dave")]
    assert len(by_dave) == 1
    assert by_dave[0].evidence["environment"] == "staging"
    assert "viewer" in by_dave[0].explanation


def test_a_run_launched_without_a_user_has_no_actor(staged: Staged) -> None:
    subjects = {f.subject for f in staged.by_rule("policy.run_without_actor")}
    assert subjects == {f"run:{staged.result['staged_runs']['no_actor']}"}


def test_a_run_deleted_from_dagster_is_a_completeness_gap(staged: Staged) -> None:
    (gap,) = staged.by_rule("completeness.missing_in_dagster")
    assert gap.subject == f"run:{staged.result['staged_runs']['dave_deploy']}"
    assert gap.evidence["run_deleted"] is True
    assert gap.severity == "high"


def test_escalation_then_bulk_reads_off_hours_are_anomalies_of_bob(staged: Staged) -> None:
    bob = f"actor:{staged.person('bob')}"
    for rule in ("anomaly.escalation_then_bulk_read", "anomaly.access_volume"):
        assert [f.subject for f in staged.by_rule(rule)] == [bob], rule
    assert bob in {f.subject for f in staged.by_rule("anomaly.unusual_hour")}
    volume = staged.by_rule("anomaly.access_volume")[0]
    assert volume.evidence["observed"] >= 30
    assert volume.evidence["baseline"]["median"] <= 5  # learned from the routine history


def test_alice_and_carol_at_their_usual_hours_raise_no_hour_anomaly(staged: Staged) -> None:
    odd = {f.subject for f in staged.by_rule("anomaly.unusual_hour")}
    assert not odd & {f"actor:{staged.person(n)}" for n in ("alice", "carol")}


def test_the_first_deletion_of_patient_records_by_dave_is_flagged(staged: Staged) -> None:
    subjects = {f.subject for f in staged.by_rule("anomaly.first_sensitive_access")}
    assert f"actor:{staged.person('dave')}" in subjects


def test_the_integrity_drill_leaves_an_open_critical_finding_and_an_intact_log(
    staged: Staged,
) -> None:
    chain = staged.by_rule("integrity.chain")
    assert [(f.severity, f.status) for f in chain] == [("critical", "open")]
    assert verify_chain(staged.store.engine).ok  # the original bytes were restored


def test_approved_training_on_patient_records_is_not_a_finding(staged: Staged) -> None:
    assert staged.by_rule("policy.personal_data_without_approval") == []


def test_every_kind_is_found(staged: Staged) -> None:
    kinds = {f["kind"] for f in staged.result["findings"]}
    assert kinds >= {"integrity", "completeness", "policy", "anomaly"}


def test_reviewing_again_opens_nothing_new(staged: Staged) -> None:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(staged.home / "dagster"))
        env.setenv("MLAUDIT_HOME", str(staged.home))
        with DagsterInstance.get() as instance:
            window = review_window(datetime.now(UTC), None)
            names = ["policies", "anomalies", "completeness"]
            run = run_review_jobs(staged.store, instance, names, window)
    assert run.ok
    assert [r.opened for r in run.results] == [0, 0, 0]
    assert sum(r.seen_again for r in run.results) >= 8


def test_the_demo_credentials_sign_in_and_are_private(staged: Staged) -> None:
    path = staged.home / CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    *_, home, export = path.read_text().splitlines()
    assert home == f"export MLAUDIT_HOME={staged.home.resolve()}"  # the store, from anywhere
    assert export.startswith("export MLAUDIT_USER=ada MLAUDIT_PASSWORD=")
    password = export.rsplit("=", 1)[1]
    assert "auditor" in login(staged.store, "ada", password).roles
