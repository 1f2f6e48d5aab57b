"""`mlaudit reveal` and `mlaudit erase` as a user runs them: real processes, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from lineage.privacy import pseudonym_for
from lineage.store import AuditStore


def mlaudit(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLAUDIT_DATABASE_URL": db_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_reveal_then_erase_then_verify(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(db_url)
    store.ingest([kit.event("r", "j", time="2026-01-01T00:00:00Z", actor="Ivy.Lee@Corp.example")])
    ivy = pseudonym_for("ivy.lee@corp.example", store.keys.pseudonym_key())
    events = mlaudit(db_url, "events", "--json")
    assert events.returncode == 0, events.stderr
    assert "ivy" not in events.stdout.lower() and json.loads(events.stdout)[0]["actor"] == ivy

    shown = mlaudit(db_url, "reveal", ivy)
    assert (shown.returncode, shown.stdout.strip()) == (0, "Ivy.Lee@Corp.example")
    as_json = json.loads(mlaudit(db_url, "reveal", ivy, "--json").stdout)
    assert as_json == {"pseudonym": ivy, "status": "revealed", "identity": "Ivy.Lee@Corp.example"}

    refused = mlaudit(db_url, "erase", "ivy.lee@corp.example", stdin="n\n")
    assert refused.returncode == 2 and "not erased" in refused.stderr
    erased = mlaudit(db_url, "erase", "ivy.lee@corp.example", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert ivy in erased.stdout and "ivy.lee" not in erased.stdout.lower()

    gone = mlaudit(db_url, "reveal", ivy)
    assert gone.returncode == 1 and f"{ivy}: identity erased at" in gone.stderr
    assert json.loads(mlaudit(db_url, "reveal", ivy, "--json").stdout)["status"] == "erased"
    assert mlaudit(db_url, "verify").returncode == 0


def test_unknown_and_malformed_arguments(db_url: str) -> None:
    unknown = pseudonym_for("nobody", AuditStore.open(db_url).keys.pseudonym_key())
    missing = mlaudit(db_url, "reveal", unknown)
    assert missing.returncode == 1 and "no identity stored" in missing.stderr
    malformed = mlaudit(db_url, "reveal", "alice")
    assert malformed.returncode == 2 and "not a pseudonym" in malformed.stderr
    nothing = mlaudit(db_url, "erase", "alice", "--yes", "--json")
    assert nothing.returncode == 1 and json.loads(nothing.stdout) == {"status": "unknown"}
