"""`mlaudit retention ...` as an operator and an auditor run them: real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_retention_support import OLD, old_history

from lineage.store import AuditStore


def _mlaudit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lineage.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "COLUMNS": "200"},
        timeout=120,
    )


def _json(env: dict[str, str], *args: str) -> dict:  # type: ignore[type-arg]
    done = _mlaudit(env, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_hold_status_archive_and_verify_archive(
    store: AuditStore, db_url: str, kit, tmp_path: Path
) -> None:
    old_history(store, kit)
    config = tmp_path / "review.toml"
    config.write_text("[retention]\ndefault_days = 365\n", encoding="utf-8")
    env = {"MLAUDIT_DATABASE_URL": db_url, "MLAUDIT_REVIEW_CONFIG": str(config),
           "MLAUDIT_HOME": str(tmp_path / "home")}  # fmt: skip

    hold = _json(env, "retention", "hold", "--reason", "case 17", "--category",
                 "model_development")  # fmt: skip
    status = _json(env, "retention", "status")
    assert status["due_entries"] == OLD - 3
    assert [h["keeps_expired"] for h in status["holds"]] == [3]

    planned = _json(env, "retention", "archive", "--dry-run")
    assert planned["archived"] == [] and len(planned["due"]) == 3
    done = _json(env, "retention", "archive")
    assert [a["entries"] for a in done["archived"]] == [3, 3, 3]
    assert Path(done["folder"]) == (tmp_path / "home" / "archive").resolve()
    assert _json(env, "verify")["ok"] is True

    manifest = Path(done["archived"][1]["manifest"])
    assert _json(env, "retention", "verify-archive", str(manifest))["ok"] is True
    data = Path(done["archived"][1]["data_file"])
    data.write_text(data.read_text(encoding="utf-8").replace("out5", "out6"), encoding="utf-8")
    altered = _mlaudit(env, "retention", "verify-archive", str(manifest))
    assert altered.returncode == 1 and "FAILED" in altered.stderr

    released = _json(env, "retention", "release", str(hold["id"]), "--reason", "closed")
    assert released["released_at"] is not None
    bad = _mlaudit(env, "retention", "hold", "--reason", "x", "--category", "nope")
    assert bad.returncode == 2 and "--category 'nope'" in bad.stderr
