"""`mlaudit checkpoint | prove | check-proof | verify` as an auditor runs them: real processes.

Commands record themselves in the log (user actions), so sizes are read from what they print.
"""

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


def entries(db_url: str) -> int:
    store = AuditStore.open(db_url)
    count = store.count_entries()
    store.close()
    return count


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
    assert head["format"] == "mlaudit tree head v1" and head["tree_size"] >= 10

    done = mlaudit(filled, "prove", "4", "--verify", "--out", str(proof_file))
    assert done.returncode == 0, done.stderr
    proof = json.loads(proof_file.read_text())
    assert (proof["type"], proof["seq"], proof["leaf_index"]) == ("inclusion", 4, 3)
    assert (proof["tree_size"], proof["root"]) == (head["tree_size"], head["root_hash"])
    assert proof["head"]["signature"] == head["signature"]

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
    sizes = [str(json.loads(f.read_text())["tree_size"]) for f in (old, new)]
    done = mlaudit(filled, "prove", "--consistency", *sizes, "--verify")
    assert done.returncode == 0, done.stderr
    proof = tmp_path / "consistency.json"
    proof.write_text(done.stdout)
    checked = mlaudit(filled, "check-proof", str(proof), "--head", str(old), "--head", str(new))
    assert checked.returncode == 0, checked.stderr
    assert f"the tree of {sizes[1]} entries extends that of {sizes[0]}" in checked.stderr


def test_prove_refuses_what_it_cannot_prove(filled: str) -> None:
    assert "is not in a tree of" in mlaudit(filled, "prove", "1000").stderr
    assert mlaudit(filled, "prove").returncode == 2
    bad = mlaudit(filled, "prove", "--consistency", "0", "5")
    assert bad.returncode == 2 and "0 < old <= new" in bad.stderr


def test_verify_reports_the_new_checks(filled: str) -> None:
    mlaudit(filled, "checkpoint")
    size = entries(filled)
    done = mlaudit(filled, "verify")
    assert done.returncode == 0, done.stderr
    # verify checks the log as it found it, then records itself
    assert f"intact: {size} entries" in done.stdout and f"tree: {size} leaves" in done.stdout
    assert "signed heads: 1" in done.stdout and "matches the tree" in done.stdout
    report = json.loads(mlaudit(filled, "verify", "--json").stdout)
    assert report["ok"] and report["heads"]["latest_ok"]
    assert report["tree"]["root"] == report["tree"]["recomputed_root"]


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
    covers = f"log truncated: signed head of {head['timestamp']} covers {head['tree_size']} entries"
    assert f"{covers}, log has 8" in done.stderr
    assert "chain: intact" in done.stderr
    # Whether or not that verify recorded itself on the cut log, the head still says what was lost.
    report = json.loads(mlaudit(filled, "verify", "--json").stdout)
    assert not report["ok"] and report["chain"]["ok"] and report["tree"]["ok"]
    [problem] = report["problems"]
    assert (problem["check"], problem["kind"]) == ("heads", "log-truncated")
    assert problem["detail"].startswith(f"{covers}, log has ")


def test_verify_still_reports_when_the_log_alone_was_cut(filled: str) -> None:
    """The tree then refuses every append (it would fork history): verify must still report."""
    head = json.loads(mlaudit(filled, "checkpoint").stdout)
    leaves = entries(filled)
    store = AuditStore.open(filled)
    drop_guards(store.engine)
    cut_log_tail(store.engine, keep=8)
    store.close()
    done = mlaudit(filled, "verify")
    assert done.returncode == 1
    assert f"covers {head['tree_size']} entries, log has 8" in done.stderr
    assert f"the tree holds {leaves} leaves but the log has 8 entries" in done.stderr


def test_verify_under_a_foreign_key_names_every_head(filled: str) -> None:
    mlaudit(filled, "checkpoint")
    done = mlaudit(filled, "verify", "--public-key", "22" * 32)
    assert done.returncode == 1 and "untrusted-key" in done.stderr
