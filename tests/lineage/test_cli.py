"""The `mlaudit` command as a user runs it: real processes, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scenario import ml_history
from tamper import drop_guards, execute

from lineage.privacy import pseudonym_for
from lineage.store import AuditStore


def mlaudit(db_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLAUDIT_DATABASE_URL": db_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def events_file(tmp_path: Path, kit) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in ml_history(kit)) + "\n")
    return path


def test_ingest_trace_verify_round_trip(db_url: str, events_file: Path) -> None:
    done = mlaudit(db_url, "ingest", str(events_file))
    assert done.returncode == 0, done.stderr
    assert "10 stored, 0 already present" in done.stdout
    again = mlaudit(db_url, "ingest", str(events_file), "--json")
    assert json.loads(again.stdout) == {"events": 10, "stored": 0, "duplicates": 10}
    traced = json.loads(mlaudit(db_url, "trace", "model", "--version", "m1", "--json").stdout)
    assert {"model", "datasets", "runs", "evaluations", "deployments", "actors"} <= traced.keys()
    assert traced["runs"][0].keys() >= {"run_id", "job", "state", "started_at", "ended_at", "actor"}
    table = mlaudit(db_url, "trace", "model").stdout
    assert "random_forest (n_estimators=200)" in table and "rollback" in table
    assert mlaudit(db_url, "verify").returncode == 0


def test_ingest_from_stdin_as_a_json_array(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    done = mlaudit(db_url, "ingest", "-", stdin=json.dumps(ml_history(kit)[:3]))
    assert done.returncode == 0, done.stderr
    assert "3 stored" in done.stdout


def test_an_invalid_event_rejects_the_whole_file(db_url: str, tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    events = ml_history(kit)
    events[4]["run"]["runId"] = ""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(events))
    done = mlaudit(db_url, "ingest", str(path))
    assert done.returncode == 1
    assert "event 5: $.run.runId" in done.stderr and "nothing was written" in done.stderr
    as_json = mlaudit(db_url, "ingest", str(path), "--json")
    assert as_json.returncode == 1
    refused = json.loads(as_json.stdout)
    assert refused["ok"] is False and (refused["events"], refused["stored"]) == (10, 0)
    assert [r["event"] for r in refused["rejected"]] == [5]
    assert refused["rejected"][0]["violations"][0]["path"] == "$.run.runId"
    assert AuditStore.open(db_url).count_entries() == 0


def test_malformed_input_is_named_by_line(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"eventType": "START"}\n{not json}\n')
    done = mlaudit(db_url, "ingest", str(path))
    assert done.returncode == 2
    assert "line 2 is not a JSON object" in done.stderr
    missing = mlaudit(db_url, "ingest", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_unknown_model_is_a_clear_error(db_url: str) -> None:
    done = mlaudit(db_url, "trace", "ghost")
    assert done.returncode == 2
    assert "no dataset or model named 'ghost'" in done.stderr
    assert "Traceback" not in done.stderr
    as_json = mlaudit(db_url, "trace", "ghost", "--json")
    assert as_json.returncode == 2
    said = json.loads(as_json.stdout)
    assert said["ok"] is False and said["kind"] == "NotFoundError"
    assert said["error"].startswith("no dataset or model named 'ghost'")


def test_verify_names_the_first_bad_entry(db_url: str, events_file: Path) -> None:
    mlaudit(db_url, "ingest", str(events_file))
    store = AuditStore.open(db_url)
    bob, eve = (pseudonym_for(n, store.keys.pseudonym_key()) for n in ("bob", "eve"))
    drop_guards(store.engine)
    execute(
        store.engine,
        f"UPDATE audit_log SET actor = 'mallory', payload = replace(payload, '{bob}', '{eve}') "
        "WHERE seq = 7",
    )
    done = mlaudit(db_url, "verify")
    assert done.returncode == 1
    assert "first bad entry is seq 7 (edited)" in done.stderr


def test_events_filters_and_history(db_url: str, events_file: Path) -> None:
    mlaudit(db_url, "ingest", str(events_file))
    rows = json.loads(mlaudit(db_url, "events", "--category", "deployment", "--json").stdout)
    key = AuditStore.open(db_url).keys.pseudonym_key()
    assert [r["actor"] for r in rows] == [pseudonym_for(n, key) for n in ("alice", "bob", "carol")]
    assert "normalizations" in rows[0] and rows[0]["event"]["eventType"] == "COMPLETE"
    bad = mlaudit(db_url, "events", "--category", "nonsense")
    assert bad.returncode == 2 and "unknown category" in bad.stderr
    history = json.loads(mlaudit(db_url, "history", "raw", "--json").stdout)
    assert [a["action"] for a in history["access"]][-1] == "delete"
    assert "deleted" in mlaudit(db_url, "history", "raw").stdout


def test_impact_prints_summaries_and_pages_the_versions(db_url: str, events_file: Path) -> None:
    assert mlaudit(db_url, "ingest", str(events_file)).returncode == 0
    found = json.loads(mlaudit(db_url, "impact", "raw", "--json", "--limit", "1").stdout)
    assert [(m["name"], m["versions"]) for m in found["models"]] == [("model", 2)]
    assert found["page"] == {"offset": 0, "limit": 1, "total": 4, "kind": None}
    assert [(v["name"], v["version"]) for v in found["versions"]] == [("clean", "c2")]
    models = json.loads(
        mlaudit(db_url, "impact", "raw", "--json", "--kind", "model", "--offset", "1").stdout
    )
    assert [v["version"] for v in models["versions"]] == ["m1"]
    table = mlaudit(db_url, "impact", "raw", "--limit", "2").stdout
    assert "4 versions affected" in table and "Affected versions 1-2 of 4" in table
    assert "More: --offset 2" in table and "rollback" in table


@pytest.mark.parametrize(
    "args",
    [
        ["trace", "model", "--as-of", "yesterday"],
        ["impact", "raw", "--as-of", "yesterday"],
        ["events", "--since", "yesterday"],
        ["events", "--until", "yesterday"],
        ["findings", "--since", "yesterday"],
        ["report", "--until", "yesterday"],
        ["retention", "hold", "--reason", "case 7", "--since", "yesterday"],
    ],
)
def test_a_time_that_does_not_parse_is_refused_before_anything_runs(
    tmp_path: Path, args: list[str]
) -> None:
    from typer.testing import CliRunner

    from lineage.cli.app import app

    database = tmp_path / "never.db"
    done = CliRunner().invoke(app, [*args, "--db", f"sqlite:///{database}"])
    said = " ".join(done.output.replace("│", " ").split())
    assert done.exit_code == 2, said
    assert f"Invalid value for '{args[-2]}': 'yesterday' is not an ISO-8601 time" in said
    assert not database.exists()
