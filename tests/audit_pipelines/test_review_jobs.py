"""The review jobs as Dagster and the CLI run them: schedules in the code location, a review job
run on a real instance, the weekly report asset, the runner's failure handling, `mlaudit review`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import typer
from dagster import DagsterInstance, DefaultScheduleStatus, materialize
from typer.testing import CliRunner

from audit_pipelines.capture.emitter import AuditStoreResource
from audit_pipelines.cli import register
from audit_pipelines.definitions import build_definitions
from audit_pipelines.review.report import compliance_report
from lineage.findings import list_findings
from lineage.review.context import ReviewContext, ReviewWindow
from lineage.review.runner import SERVICE_PRINCIPAL, UnknownReview, run_reviews
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

SCHEDULES = {
    "review_integrity_schedule": "0 * * * *",
    "review_completeness_schedule": "*/15 * * * *",
    "review_policies_schedule": "5 * * * *",
    "review_anomalies_schedule": "30 1 * * *",
    "review_retention_schedule": "0 2 * * *",
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MLAUDIT_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    for name in ("MLAUDIT_DATABASE_URL", "MLAUDIT_REVIEW_CONFIG", "MLAUDIT_USER", "MLAUDIT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (home / "dagster").mkdir()
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


@pytest.fixture
def store(home: Path) -> AuditStore:
    return AuditStore.open(f"sqlite:///{home / 'audit.db'}")


def test_the_code_location_has_every_review_schedule_running(tmp_path: Path) -> None:
    repo = build_definitions(tmp_path, f"sqlite:///{tmp_path / 'a.db'}").get_repository_def()
    schedules = {s.name: s for s in repo.schedule_defs}
    assert {name: schedules[name].cron_schedule for name in SCHEDULES} == SCHEDULES
    assert "weekly_compliance_report_schedule" in schedules
    assert {s.default_status for s in schedules.values()} == {DefaultScheduleStatus.RUNNING}
    jobs = {job.name for job in repo.get_all_jobs()}
    assert {f"review_{name}" for name in ("integrity", "policies", "anomalies")} <= jobs


def test_a_review_job_records_its_run(home: Path, store: AuditStore) -> None:
    definitions = build_definitions(home, f"sqlite:///{home / 'audit.db'}")
    job = definitions.resolve_job_def("review_completeness")
    config = {"ops": {"review_completeness_op": {"config": {"whole_history": True}}}}
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(run_config=config, instance=instance)
    assert result.success
    completed = [e for e in store.entries() if e["event"]["job"]["name"] == "review.completed"]
    facet = completed[-1]["event"]["run"]["facets"]["mlaudit_user_action"]
    assert facet["target"] == {"kind": "review", "name": "completeness"}
    assert facet["details"]["reviews"][0]["error"] is None


def test_a_failing_review_fails_its_dagster_run_and_becomes_a_finding(
    home: Path, store: AuditStore
) -> None:
    (home / "review.toml").write_text("[completeness]\nlag = 5\n")
    definitions = build_definitions(home, f"sqlite:///{home / 'audit.db'}")
    job = definitions.resolve_job_def("review_completeness")
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    (found,) = list_findings(store.engine)
    assert (found.rule, found.subject, found.kind) == (
        "integrity.review_failed",
        "review:completeness",
        "integrity",
    )
    assert "completeness.lag" in found.explanation


def test_one_failing_review_does_not_stop_the_others(store: AuditStore) -> None:
    def broken(ctx: ReviewContext) -> list:
        raise RuntimeError("disk on fire")

    window = ReviewWindow(None, now_store_time())
    run = run_reviews(
        store,
        ["anomalies", "broken"],
        window,
        SERVICE_PRINCIPAL,
        extra={"broken": broken},
        config={},
    )
    assert [(r.name, r.error) for r in run.results] == [
        ("anomalies", None),
        ("broken", "RuntimeError: disk on fire"),
    ]
    assert not run.ok
    assert [f.subject for f in list_findings(store.engine)] == ["review:broken"]
    with pytest.raises(UnknownReview, match="no review named nope"):
        run_reviews(store, ["nope"], window, SERVICE_PRINCIPAL, config={})


def test_the_weekly_report_asset_writes_signed_files(home: Path, store: AuditStore) -> None:
    resources = {"audit_store": AuditStoreResource(url=f"sqlite:///{home / 'audit.db'}")}
    with DagsterInstance.get() as instance:
        result = materialize(
            [compliance_report],
            partition_key="2026-11-16",
            resources=resources,
            instance=instance,
        )
    metadata = result.asset_materializations_for_node("compliance_report")[0].metadata
    html = Path(metadata["html"].value)
    assert html.parent == home / "reports" and html.exists()
    assert metadata["html_sha256"].value == hashlib.sha256(html.read_bytes()).hexdigest()
    assert metadata["period_since"].value.startswith("2026-11-16T00:00:00")
    assert metadata["period_until"].value.startswith("2026-11-23T00:00:00")


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("noop")(lambda: None)  # more than one command: typer keeps subcommand names
    register(app)
    return app


def test_mlaudit_review_runs_the_named_reviews_and_prints_counts(home: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli(), ["review", "--job", "completeness", "--job", "policies", "--json"])
    assert done.exit_code == 0, done.output
    counts = json.loads(done.output)
    assert [r["review"] for r in counts["reviews"]] == ["completeness", "policies"]
    assert counts["since"] is None and counts["ok"] is True
    text = runner.invoke(cli(), ["review", "--job", "integrity", "--since", "2026-01-01"])
    assert text.exit_code == 0, text.output
    assert "integrity" in text.output and "opened" in text.output


def test_mlaudit_review_rejects_unknown_reviews_and_bad_times(home: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli(), ["review", "--job", "nope"])
    assert done.exit_code == 2 and "no review named nope" in done.output
    done = runner.invoke(cli(), ["review", "--since", "yesterday"])
    assert done.exit_code == 2 and "--since" in done.output


def test_mlaudit_review_records_into_the_store_db_names(home: Path, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    done = CliRunner().invoke(cli(), ["review", "--job", "completeness", "--db", other])
    assert done.exit_code == 0, done.output
    assert AuditStore.open(other).count_entries() > 0  # the review's own audit event
    assert not (home / "audit.db").exists()
