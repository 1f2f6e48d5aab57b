"""`mlaudit run JOB --as USER`: the launcher reaches the trace; impersonation is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from audit_pipelines.cli import register
from audit_pipelines.launch import UnknownJob, launch_as
from lineage.authz import PermissionDenied, Principal
from lineage.cli.session import LOCAL_OPERATOR
from lineage.privacy.pseudonyms import pseudonym_for
from lineage.queries import trace
from lineage.settings import Settings
from lineage.store import AuditStore


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("MLAUDIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLAUDIT_DATABASE_URL", f"sqlite:///{tmp_path / 'home' / 'audit.db'}")
    return Settings.from_env()


def test_run_as_user_is_captured_with_that_identity(settings: Settings) -> None:
    store = AuditStore.open(settings.database_url)
    _, ok, emitted = launch_as(settings, store, LOCAL_OPERATOR, "training_pipeline", "erin")
    assert ok and emitted > 10
    result = trace(store.engine, "breast_cancer_model")
    erin = pseudonym_for("erin", store.keys.pseudonym_key())
    assert {r["actor"] for r in result["runs"]} == {erin}


def test_only_admins_launch_in_someone_elses_name(settings: Settings) -> None:
    store = AuditStore.open(settings.database_url)
    engineer = Principal("erin", ("ml_engineer",))
    with pytest.raises(PermissionDenied, match="may not manage_accounts"):
        launch_as(settings, store, engineer, "training_pipeline", "frank")
    with pytest.raises(PermissionDenied, match="may not launch_jobs"):
        launch_as(settings, store, Principal("vic", ("viewer",)), "training_pipeline", "vic")
    with pytest.raises(
        UnknownJob, match="no job named 'nope'; jobs: delete_dataset_job, deploy_model"
    ):
        launch_as(settings, store, engineer, "nope", "erin")


def test_mlaudit_run_captures_into_the_store_db_names(settings: Settings, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("noop")(lambda: None)  # more than one command: typer keeps subcommand names
    register(app)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    done = CliRunner().invoke(app, ["run", "training_pipeline", "--as", "erin", "--db", other])
    assert done.exit_code == 0, done.output
    assert "succeeded" in done.output
    assert trace(AuditStore.open(other).engine, "breast_cancer_model")["runs"]
    assert not Path(settings.database_url.removeprefix("sqlite:///")).exists()
