"""`mlaudit checkpoint | prove | check-proof | verify` as an auditor runs them: real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scenario import ml_history
from tamper import drop_guards
from tamper_tree import cut_log_tail, cut_tree_tail, drop_tree_guards

from lineage.store import AuditStore


def mlaudit(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLAUDIT_DATABASE_URL": db_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def filled(db_url: str, kit) -> str:  # type: ignore[no-untyped-def]
    store = AuditStore.open(db_url)
    store.ingest(ml_history(kit))
    store.close()
    return db_url


def test_checkpoint_prove_and_check_offline(filled: str, tmp_path: Path) -> None:
    head_file, proof_file = tmp_path / "head.json", tmp_path / "proof.json"
    done = mlaudit(filled, "checkpoint", "--out", str(head_file))
    assert done.returncode == 0, done.stderr
    head = json.loads(head_file.read_text())
    assert json.loads(done.stdout) == head
    assert (head["format"], head["tree_size"]) == ("mlaudit tree head v1", 10)

    done = mlaudit(filled, "prove", "4", "--verify", "--out", str(proof_file))
    assert done.returncode == 0, done.stderr
    proof = json.loads(proof_file.read_text())
    assert (proof["type"], proof["seq"], proof["leaf_index"], proof["tree_size"]) == (
        "inclusion",
        4,
        3,
        10,
    )
    assert proof["root"] == head["root_hash"] and len(proof["audit_path"]) == 4

    key = ["--public-key", head["public_key"]]
    done = mlaudit(filled, "check-proof", str(proof_file), "--head", str(head_file), *key)
    assert done.returncode == 0, done.stderr
    assert "signature verifies under the pinned key" in done.stderr


def test_check_proof_fails_on_a_forged_head_or_key(filled: str, tmp_path: Path) -> None:
    head = json.loads(mlaudit(filled, "checkpoint").stdout)
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(mlaudit(filled, "prove", "2").stdout)
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**head, "root_hash": "ab" * 32}))
    done = mlaudit(filled, "check-proof", str(proof_file), "--head", str(forged), "--json")
    assert done.returncode == 1
    failed = [s["what"] for s in json.loads(done.stdout)["steps"] if not s["ok"]]
    assert any("signature FAILS" in s for s in failed)
    assert any("root differs" in s for s in failed)
    other_key = "11" * 32
    done = mlaudit(filled, "check-proof", str(proof_file), "--public-key", other_key)
    assert done.returncode == 1 and "FAILED" in done.stderr


def test_consistency_proof_between_two_heads(filled: str, tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.json"
    mlaudit(filled, "checkpoint", "--out", str(old))
    store = AuditStore.open(filled)
    store.ingest([kit.event("more", "job", time="2026-03-01T00:00:00Z")])
    store.close()
    new = tmp_path / "new.json"
    mlaudit(filled, "checkpoint", "--out", str(new))
    done = mlaudit(filled, "prove", "--consistency", "10", "11", "--verify")
    assert done.returncode == 0, done.stderr
    proof = tmp_path / "consistency.json"
    proof.write_text(done.stdout)
    checked = mlaudit(filled, "check-proof", str(proof), "--head", str(old), "--head", str(new))
    assert checked.returncode == 0, checked.stderr
    assert "the tree of 11 entries extends that of 10" in checked.stderr


def test_prove_refuses_what_it_cannot_prove(filled: str) -> None:
    assert "not in a tree of 10 entries" in mlaudit(filled, "prove", "11").stderr
    assert mlaudit(filled, "prove").returncode == 2
    bad = mlaudit(filled, "prove", "--consistency", "0", "5")
    assert bad.returncode == 2 and "0 < old <= new" in bad.stderr


def test_verify_reports_the_new_checks(filled: str) -> None:
    mlaudit(filled, "checkpoint")
    done = mlaudit(filled, "verify")
    assert done.returncode == 0, done.stderr
    assert "intact: 10 entries" in done.stdout
    assert "tree: 10 leaves" in done.stdout and "signed heads: 1" in done.stdout
    report = json.loads(mlaudit(filled, "verify", "--json").stdout)
    assert report["ok"] and report["tree"]["root"] == report["heads"]["latest"]["root_hash"]


def test_verify_names_a_truncated_tail(filled: str) -> None:
    head = json.loads(mlaudit(filled, "checkpoint").stdout)
    store = AuditStore.open(filled)
    drop_guards(store.engine)
    drop_tree_guards(store.engine)
    cut_log_tail(store.engine, keep=8)
    cut_tree_tail(store.engine, keep=8)
    store.close()
    done = mlaudit(filled, "verify")
    assert done.returncode == 1
    expected = f"log truncated: signed head of {head['timestamp']} covers 10 entries, log has 8"
    assert expected in done.stderr
    assert "chain: intact" in done.stderr
    report = json.loads(mlaudit(filled, "verify", "--json").stdout)
    assert not report["ok"] and report["chain"]["ok"] and report["tree"]["ok"]
    assert [(p["check"], p["kind"], p["detail"]) for p in report["problems"]] == [
        ("heads", "log-truncated", expected)
    ]


def test_verify_under_a_foreign_key_names_every_head(filled: str) -> None:
    mlaudit(filled, "checkpoint")
    done = mlaudit(filled, "verify", "--public-key", "22" * 32)
    assert done.returncode == 1 and "untrusted-key" in done.stderr
