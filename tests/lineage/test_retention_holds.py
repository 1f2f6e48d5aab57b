"""Legal holds: who may place them, what they match, and that archiving never takes held entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from test_retention_support import ADMIN, AUDITOR, OLD, ONE_YEAR, archive, old_history

from lineage.authz import PermissionDenied, Principal
from lineage.models import LogEntry
from lineage.privacy.pseudonyms import pseudonym_for
from lineage.retention import archive as archive_module
from lineage.retention.archive import ArchiveRefused
from lineage.retention.due import plan_due
from lineage.retention.holds import HoldError, list_holds, place_hold, release_hold
from lineage.store import AuditStore
from lineage.timeutil import now_store_time
from lineage.verify import verify_log


def _plan(store: AuditStore):  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return plan_due(conn, ONE_YEAR, now_store_time(), list_holds(conn))


def _spans(plan) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    return [(s.first_seq, s.end_seq) for s in plan.segments]


def _live(store: AuditStore) -> list[int]:
    with store.engine.connect() as conn:
        return conn.execute(select(LogEntry.seq).where(LogEntry.seq <= OLD)).scalars().all()


def test_a_category_hold_keeps_its_entries_until_released(
    store: AuditStore, kit, tmp_path: Path
) -> None:
    old_history(store, kit)
    hold = place_hold(store, AUDITOR, reason="case 17", category="model_development")
    assert _plan(store).held == {hold.id: [4, 8, 12]}

    archive(store, tmp_path)
    assert _live(store) == [4, 8, 12]

    release_hold(store, AUDITOR, hold.id, "case closed")
    archive(store, tmp_path)
    assert _live(store) == []
    assert verify_log(store.engine, keys=store.keys).ok


def test_a_person_hold_matches_their_pseudonym(store: AuditStore, kit) -> None:
    old_history(store, kit)
    hold = place_hold(store, AUDITOR, reason="subject access request", subject="dana.scientist")
    assert hold.subject == pseudonym_for("dana.scientist", store.keys.pseudonym_key())
    plan = _plan(store)
    assert plan.held == {hold.id: [4, 8, 12]}
    assert _spans(plan) == [(1, 4), (5, 8), (9, 12)]


def test_a_dataset_hold_and_a_time_range(store: AuditStore, kit) -> None:
    old_history(store, kit)
    dataset = place_hold(store, AUDITOR, reason="dispute", subject="test/out5")
    window = place_hold(
        store, AUDITOR, reason="audit", since="2016-01-10", until="2016-01-11T00:00:00Z"
    )
    plan = _plan(store)
    assert plan.held == {dataset.id: [6], window.id: [10, 11]}
    assert _spans(plan) == [(1, 6), (7, 10), (12, 13)]


def test_holds_are_audit_events_and_need_the_permission(store: AuditStore, kit) -> None:
    old_history(store, kit)
    engineer = Principal(name="eve", roles=("ml_engineer",))
    with pytest.raises(PermissionDenied, match="legal_hold"):
        place_hold(store, engineer, reason="mine")
    hold = place_hold(store, ADMIN, reason="case 17", category="data_access")
    released = release_hold(store, ADMIN, hold.id, "done")
    assert released.released_at is not None

    actions = []
    for entry in store.entries(after_seq=OLD):
        facets = entry["event"]["run"]["facets"]
        if "mlaudit_user_action" in facets:
            action = facets["mlaudit_user_action"]
            actions.append((action["action"], action["target"]["name"], action["details"]))
    assert actions == [
        ("retention.hold.place", str(hold.id),
         {"reason": "case 17", "category": "data_access", "since": None, "until": None,
          "subject": None}),
        ("retention.hold.release", str(hold.id), {"reason": "done"}),
    ]  # fmt: skip
    assert "olga.ops" not in json.dumps([e["event"] for e in store.entries()])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": " "}, "needs a reason"),
        ({"reason": "x", "category": "nope"}, "--category 'nope'"),
        ({"reason": "x", "since": "yesterday"}, "--since"),
        ({"reason": "x", "since": "2020-01-02", "until": "2020-01-01"}, "after --until"),
        ({"reason": "x", "subject": "  "}, "--subject is empty"),
    ],
)
def test_bad_holds_are_refused_by_name(store: AuditStore, kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HoldError, match=message):
        place_hold(store, ADMIN, **kwargs)


def test_releasing_twice_or_an_unknown_hold_is_refused(store: AuditStore) -> None:
    hold = place_hold(store, ADMIN, reason="x")
    release_hold(store, ADMIN, hold.id, "done")
    with pytest.raises(HoldError, match="already released"):
        release_hold(store, ADMIN, hold.id, "again")
    with pytest.raises(HoldError, match="no legal hold with id 999"):
        release_hold(store, ADMIN, 999, "x")


def test_a_hold_placed_while_archiving_stops_the_deletion(
    store: AuditStore, kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_history(store, kit)
    recorded = archive_module.record_user_action

    def record_then_hold(*args, **kwargs):  # type: ignore[no-untyped-def]
        seq = recorded(*args, **kwargs)
        place_hold(store, AUDITOR, reason="just in time", subject="test/out2")
        return seq

    monkeypatch.setattr(archive_module, "record_user_action", record_then_hold)
    with pytest.raises(ArchiveRefused, match="came under legal hold"):
        archive(store, tmp_path)
    assert _live(store) == list(range(1, OLD + 1))
    assert verify_log(store.engine, keys=store.keys).ok
