"""Integrity shown after retention archived part of the log: the app's banner and `mlaudit verify`
both say how many segments and entries are archived, and which archive files are missing.

A store of its own (not the demo copy): its entries are years old, so retention archives them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner
from ui_helpers import app_as, forget_stores, store_for_app

from lineage.accounts.service import add_user
from lineage.cli.app import app as cli
from lineage.cli.session import LOCAL_OPERATOR
from lineage.retention.archive import ArchiveOutcome, archive_due
from lineage.retention.policy import RetentionPolicy
from lineage.timeutil import now_store_time

OLD = 8
PASSWORD = "correct horse battery"


@pytest.fixture
def archived(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit) -> Iterator[ArchiveOutcome]:  # type: ignore[no-untyped-def]
    """Eight 2016 entries archived by a one-year retention, three recent ones kept."""
    store = store_for_app(tmp_path, monkeypatch)
    old = [kit.event(f"old{i}", "job", time=f"2016-01-0{i + 1}T00:00:00Z") for i in range(OLD)]
    store.ingest([*old, *(kit.event(f"new{i}", "job", time=now_store_time()) for i in range(3))])
    outcome = archive_due(store, LOCAL_OPERATOR, RetentionPolicy(default_days=365))
    assert sum(a.segment.count for a in outcome.archived) == OLD
    add_user(store, LOCAL_OPERATOR, "aud", ["auditor"], password=PASSWORD)
    store.close()
    yield outcome
    forget_stores()


def test_the_banner_names_the_archived_segments(archived: ArchiveOutcome) -> None:
    at = app_as("aud")
    assert any("Verified" in s.value for s in at.success)
    segments = len(archived.archived)
    notes = [i.value for i in at.info if "archived segment" in i.value]
    assert notes == [
        f"{segments} archived segment(s) holding {OLD} entries are bridged by their signed "
        f"boundaries; {segments} archive file(s) checked."
    ]
    assert not at.warning


def test_a_missing_archive_file_is_said_plainly(archived: ArchiveOutcome) -> None:
    gone = archived.archived[0]
    gone.data_file.unlink()
    at = app_as("aud")
    assert any("Verified" in s.value for s in at.success), "a missing file is not a failed check"
    (warning,) = [w.value for w in at.warning]
    assert "**1 archive file(s) missing**" in warning and gone.data_file.name in warning


def test_verify_prints_the_archive_and_missing_files(
    archived: ArchiveOutcome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLAUDIT_USER", "aud")
    monkeypatch.setenv("MLAUDIT_PASSWORD", PASSWORD)
    runner = CliRunner()
    intact = runner.invoke(cli, ["verify"])
    assert intact.exit_code == 0, intact.output
    segments = len(archived.archived)
    # Rich wraps at the console's width: compare with line breaks folded into spaces.
    assert f"archived: {segments} segment(s) holding {OLD} entries" in _flat(intact.output)
    assert "missing" not in intact.output
    archived.archived[-1].data_file.unlink()
    missing = runner.invoke(cli, ["verify"], terminal_width=400)
    assert missing.exit_code == 0, missing.output
    assert f"{segments - 1} archive file(s) checked" in _flat(missing.output)
    assert "1 archive file(s) missing" in _flat(missing.output)
    assert str(archived.archived[-1].data_file) in missing.output.replace("\n", "")


def _flat(output: str) -> str:
    return " ".join(output.split())
