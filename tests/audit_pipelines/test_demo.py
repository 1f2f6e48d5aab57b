"""The demo as `make demo` runs it, on SQLite, and with the store and Dagster on PostgreSQL: the
trace of the model in production, then the staged incidents found by the reviews."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lineage.keys import KeyStore
from lineage.privacy import pseudonym_for
from lineage.store import AuditStore
from lineage.verify import verify_chain


def run_demo(home: Path, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MLAUDIT_", "DAGSTER_"))}
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", "demo", "--json", *options],
        env={**clean, "MLAUDIT_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def check_trace(result: dict, home: Path) -> None:
    assert result["model"]["name"] == "breast_cancer_model"
    live = [d for d in result["deployments"] if d["valid_to"] is None]
    assert [(d["action"], d["version"]) for d in live] == [("rollback", result["model"]["version"])]
    # People appear under their pseudonyms, made with the key the demo created in its home.
    key = KeyStore(home / "keys", env={}).pseudonym_key()
    people = {pseudonym_for(n, key) for n in ("alice", "bob", "carol")}
    assert {a["actor"] for a in result["actors"]} >= people
    assert [s["namespace"] for s in result["sources"]] == ["file"]
    assert result["sources"][0]["name"].endswith("breast_cancer.csv")
    assert max(d["depth"] for d in result["datasets"]) == 4
    training = [r["training"] for r in result["runs"] if r["training"]]
    assert training and training[0]["algorithm"] == "logistic_regression"
    assert any(e["metrics"].get("accuracy", 0) > 0.9 for e in result["evaluations"])


def check_findings(result: dict) -> None:
    """At least one real finding of each kind, and the integrity drill's entry restored."""
    kinds = {f["kind"] for f in result["findings"]}
    assert kinds >= {"integrity", "completeness", "policy", "anomaly"}
    assert {f["status"] for f in result["findings"]} == {"open"}
    assert len(result["staged"]) == 5


def test_demo_on_sqlite(tmp_path: Path) -> None:
    done = run_demo(tmp_path / "home")
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    check_trace(result, tmp_path / "home")
    check_findings(result)
    store = AuditStore.open(f"sqlite:///{tmp_path / 'home' / 'audit.db'}")
    assert verify_chain(store.engine).ok
    assert (tmp_path / "home" / "dagster" / "dagster.yaml").exists()


def test_plain_demo_stages_nothing(tmp_path: Path) -> None:
    done = run_demo(tmp_path / "home", "--plain")
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    check_trace(result, tmp_path / "home")
    assert "findings" not in result
    assert not (tmp_path / "home" / "demo-credentials.txt").exists()


@pytest.mark.slow
def test_demo_on_postgres(tmp_path: Path, pg_database) -> None:  # type: ignore[no-untyped-def]
    pg_url, dagster_url = pg_database(), pg_database()
    done = run_demo(
        tmp_path / "home", MLAUDIT_DATABASE_URL=pg_url, MLAUDIT_DAGSTER_STORAGE_URL=dagster_url
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    check_trace(result, tmp_path / "home")
    check_findings(result)
    assert "postgres" in (tmp_path / "home" / "dagster" / "dagster.yaml").read_text()
    assert verify_chain(AuditStore.open(pg_url).engine).ok
