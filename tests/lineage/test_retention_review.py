"""The retention review's findings, and the `[retention]` configuration it validates."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_retention_support import AUDITOR, OLD, archive, old_history

from lineage.retention.holds import place_hold
from lineage.retention.policy import parse_policy
from lineage.review.config import ReviewConfigError
from lineage.review.context import ReviewContext, ReviewWindow
from lineage.review.retention import review_retention
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

CONFIG = {"retention": {"default_days": 365, "categories": {"user_action": 730}}}


def _review(store: AuditStore) -> dict[str, list]:  # type: ignore[type-arg]
    now = now_store_time()
    ctx = ReviewContext(store, ReviewWindow(None, now), now, CONFIG)
    found: dict[str, list] = {}  # type: ignore[type-arg]
    for draft in review_retention(ctx):
        assert draft.kind == "retention"
        found.setdefault(draft.rule, []).append(draft)
    return found


def test_due_entries_and_a_blocking_hold(store: AuditStore, kit) -> None:
    old_history(store, kit)
    hold = place_hold(store, AUDITOR, reason="case 17", category="model_development")

    found = _review(store)

    [due] = found["retention.due"]
    assert due.severity == "low"
    assert due.evidence["count"] == OLD - 3
    assert due.evidence["oldest"] == "2016-01-01T00:00:00.000000Z"
    assert due.evidence["categories"] == {"data_access": OLD - 3}
    [blocking] = found["retention.hold_blocking"]
    assert (blocking.severity, blocking.subject) == ("info", f"legal_hold:{hold.id}")
    assert blocking.evidence["count"] == 3
    assert "retention.archive_missing" not in found


def test_nothing_to_report_after_archiving(store: AuditStore, kit, tmp_path: Path) -> None:
    old_history(store, kit)
    archive(store, tmp_path)
    assert _review(store) == {}


def test_a_missing_or_altered_archive_is_a_high_finding(
    store: AuditStore, kit, tmp_path: Path
) -> None:
    old_history(store, kit)
    [done] = archive(store, tmp_path).archived
    done.data_file.write_text("{}\n", encoding="utf-8")
    [altered] = _review(store)["retention.archive_missing"]
    assert altered.severity == "high" and "SHA-256" in altered.evidence["problem"]

    done.data_file.unlink()
    [missing] = _review(store)["retention.archive_missing"]
    assert missing.subject == f"archive:1..{OLD}"
    assert missing.evidence["problem"].startswith("missing")
    assert missing.fingerprint == altered.fingerprint  # one finding about one archive


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"default_day": 30}, "unknown key(s) default_day"),
        ({"default_days": 0}, "retention.default_days"),
        ({"default_days": "30"}, "retention.default_days"),
        ({"categories": {"data_acess": 30}}, "retention.categories.data_acess"),
        ({"categories": {"data_access": 1.5}}, "retention.categories.data_access"),
        ({"categories": 30}, "retention.categories must be a table"),
        ({"archive_dir": ""}, "retention.archive_dir"),
    ],
)
def test_bad_configuration_names_the_key(section: dict, named: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ReviewConfigError) as error:
        parse_policy(section)
    assert named in str(error.value)


def test_a_policy_keeps_an_entry_for_its_longest_category() -> None:
    policy = parse_policy({"default_days": 10, "categories": {"data_access": 365}})
    assert policy.days("data_access") == 365 and policy.days("run") == 10
    cutoffs = policy.cutoffs("2026-01-01T00:00:00.000000Z")
    assert cutoffs["data_access"] == "2025-01-01T00:00:00.000000Z"
    assert policy.loosest_cutoff("2026-01-01T00:00:00.000000Z") == "2025-12-22T00:00:00.000000Z"
