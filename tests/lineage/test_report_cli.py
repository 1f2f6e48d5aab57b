"""`mlaudit report`, `mlaudit report verify`, `mlaudit reports` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scenario import ml_history

from lineage.accounts.service import add_user
from lineage.authz import READ_FINDINGS, ROLE_PERMISSIONS, PermissionDenied
from lineage.cli.session import LOCAL_OPERATOR
from lineage.store import AuditStore


def mlaudit(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MLAUDIT_USER", "MLAUDIT_P"))}
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        capture_output=True,
        text=True,
        env={**base, "MLAUDIT_DATABASE_URL": db_url, "COLUMNS": "200", **env},
        timeout=120,
    )


def test_issue_list_and_verify(db_url: str, kit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    AuditStore.open(db_url).ingest(ml_history(kit))
    period = ("--since", "2026-01-01", "--until", "2026-01-03")
    issued = mlaudit(db_url, "report", *period, "--out", str(tmp_path), "--json")
    assert issued.returncode == 0, issued.stderr
    summary = json.loads(issued.stdout)
    assert (summary["entries"], summary["new model versions"], summary["log verified"]) == (
        8,
        2,
        True,
    )
    html = Path(summary["html"])
    assert html.parent == tmp_path and html.name == "report-20260101T000000Z-20260103T000000Z.html"
    listed = json.loads(mlaudit(db_url, "reports", "--json").stdout)
    assert [(r["id"], r["sha256"]) for r in listed] == [(summary["report"], summary["sha256"])]

    for path in (html, Path(summary["json"])):
        verified = mlaudit(db_url, "report", "verify", str(path), "--check-log")
        assert verified.returncode == 0 and "verified" in verified.stdout, verified.stderr
    forged = tmp_path / "forged.json"
    forged.write_text(Path(summary["json"]).read_text().replace('"entries": 8', '"entries": 7', 1))
    refused = mlaudit(db_url, "report", "verify", str(forged))
    assert refused.returncode == 1 and "sha256 differs" in refused.stdout


def test_a_role_without_read_findings_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    store = AuditStore.open(sqlite_url)
    add_user(store, LOCAL_OPERATOR, "vic", ["viewer"], password="viewer-password-1")
    env = {"MLAUDIT_USER": "vic", "MLAUDIT_PASSWORD": "viewer-password-1"}
    out = tmp_path / "reports"
    denied = mlaudit(sqlite_url, "report", "--out", str(out), **env)
    assert denied.returncode == 2 and "may not run_reviews" in denied.stderr
    assert not out.exists()
    actions = [e["job_name"] for e in store.entries()]
    assert actions[-1] == "report.issued"  # the refusal, recorded
    assert (
        store.entries()[-1]["event"]["run"]["facets"]["mlaudit_user_action"]["outcome"] == "denied"
    )
    listing = mlaudit(sqlite_url, "reports", **env)
    assert listing.returncode == 2 and "may not read_findings" in listing.stderr


def test_reading_findings_lists_reports_but_issuing_needs_run_reviews(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A role that reads findings without running reviews (none ships; a deployment may add
    one) lists and verifies reports but may not issue one."""
    from typer.testing import CliRunner

    from lineage.cli.app import app

    store = AuditStore.open(sqlite_url)
    add_user(store, LOCAL_OPERATOR, "rita", ["viewer"], password="reader-password-1")
    monkeypatch.setitem(ROLE_PERMISSIONS, "viewer", ROLE_PERMISSIONS["viewer"] | {READ_FINDINGS})
    monkeypatch.setenv("MLAUDIT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MLAUDIT_USER", "rita")
    monkeypatch.setenv("MLAUDIT_PASSWORD", "reader-password-1")
    runner = CliRunner()
    out = tmp_path / "reports"
    denied = runner.invoke(app, ["report", "--out", str(out)])
    # In process the refusal is the exception `mlaudit` turns into exit status 2.
    assert isinstance(denied.exception, PermissionDenied)
    assert "may not run_reviews" in str(denied.exception)
    assert not out.exists()
    listed = runner.invoke(app, ["reports", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == []
