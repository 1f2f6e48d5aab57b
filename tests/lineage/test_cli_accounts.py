"""Accounts from the command line: bootstrap, sign-in, role checks, and reads that are recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from scenario import ml_history

from lineage.store import AuditStore

PASSWORD = "correct horse battery"


def mlaudit(
    db_url: str, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLAUDIT_USER", "MLAUDIT_PASSWORD", "MLAUDIT_TOKEN"))
    }
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**base, "MLAUDIT_DATABASE_URL": db_url, "COLUMNS": "200", **env},
        timeout=120,
    )


def actions(db_url: str) -> list[dict]:
    store = AuditStore.open(db_url)
    facets = [e["event"]["run"]["facets"] for e in store.entries()]
    return [f["mlaudit_user_action"] for f in facets if "mlaudit_user_action" in f]


def test_accounts_roles_and_audited_reads(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    AuditStore.open(db_url).ingest(ml_history(kit))
    boot = mlaudit(
        db_url, "users", "add", "ada", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert boot.returncode == 0, boot.stderr
    as_ada = {"MLAUDIT_USER": "ada", "MLAUDIT_PASSWORD": PASSWORD}
    # Once an account exists, nobody works anonymously.
    refused = mlaudit(db_url, "trace", "model")
    assert refused.returncode == 2 and "this audit log has accounts" in refused.stderr
    added = mlaudit(
        db_url,
        "users",
        "add",
        "vera",
        "--role",
        "viewer",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        **as_ada,
    )
    assert added.returncode == 0, added.stderr
    token = mlaudit(
        db_url, "tokens", "create", "--user", "vera", "--label", "laptop", **as_ada
    ).stdout.strip()
    assert token.startswith("mla_")
    as_vera = {"MLAUDIT_TOKEN": token}
    traced = json.loads(mlaudit(db_url, "trace", "model", "--json", **as_vera).stdout)
    # A viewer reads lineage but no personal data, not even pseudonyms.
    assert {r["actor"] for r in traced["runs"]} == {"[redacted]"} and traced["actors"] == []
    denied = mlaudit(db_url, "users", "add", "mallory", "--role", "admin", **as_vera)
    assert denied.returncode == 2 and "may not manage_accounts" in denied.stderr
    wrong = mlaudit(db_url, "trace", "model", MLAUDIT_USER="ada", MLAUDIT_PASSWORD="guess")
    assert wrong.returncode == 2 and "wrong user name or password" in wrong.stderr
    listed = json.loads(mlaudit(db_url, "users", "list", "--json", **as_ada).stdout)
    assert sorted(r["roles"][0] for r in listed) == ["admin", "viewer"]
    assert all(r["subject"].startswith("psn:") for r in listed)
    vera_tokens = json.loads(mlaudit(db_url, "tokens", "list", "--json", **as_vera).stdout)
    assert [(t["token_id"], t["label"], t["state"]) for t in vera_tokens] == [
        (token.split("_")[1], "laptop", "active")
    ]
    table = mlaudit(db_url, "tokens", "list", **as_ada).stdout
    assert token.split("_")[1] in table and "laptop" in table and token not in table
    recorded = [(a["action"], a["outcome"]) for a in actions(db_url)]
    assert recorded == [
        ("account.create", "success"),
        ("account.create", "success"),
        ("token.create", "success"),
        ("log.read.trace", "success"),
        ("login.failed", "failed"),
    ]


def test_an_account_added_without_a_password_is_said_to_be_token_only(sqlite_url: str) -> None:
    added = mlaudit(sqlite_url, "users", "add", "airflow", "--role", "producer", stdin="")
    assert added.returncode == 0, added.stderr
    said = " ".join(added.stdout.split())
    assert "'airflow' signs in with API tokens only" in said
    assert "mlaudit tokens create --user airflow" in said


def test_an_auditor_may_list_accounts_by_name_and_each_reveal_is_recorded(sqlite_url: str) -> None:
    def add(name: str, role: str, **env: str) -> None:
        done = mlaudit(
            sqlite_url, "users", "add", name, "--role", role, "--password-stdin",
            stdin=PASSWORD + "\n", **env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    add("ada", "admin")
    as_ada = {"MLAUDIT_USER": "ada", "MLAUDIT_PASSWORD": PASSWORD}
    add("vera", "viewer", **as_ada)
    refused = mlaudit(sqlite_url, "users", "list", "--reveal", **as_ada)
    assert refused.returncode == 2 and "may not reveal" in refused.stderr
    assert mlaudit(sqlite_url, "users", "grant", "ada", "auditor", **as_ada).returncode == 0
    listed = json.loads(mlaudit(sqlite_url, "users", "list", "--reveal", "--json", **as_ada).stdout)
    assert sorted(r["name"] for r in listed) == ["ada", "vera"]
    reveals = [a for a in actions(sqlite_url) if a["action"] == "identity.reveal"]
    assert [(a["outcome"], a["target"]["name"]) for a in reveals] == [
        ("denied", listed[0]["subject"]),
        *(("success", r["subject"]) for r in listed),
    ]
    table = mlaudit(sqlite_url, "users", "list", "--reveal", **as_ada).stdout
    assert "vera" in table and "name" in table
