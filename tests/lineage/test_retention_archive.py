"""Archiving sealed segments: the log stays verifiable, proofs hold, archives check offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from test_retention_support import OLD, ONE_YEAR, archive, old_history

from lineage.merkle.export import export_consistency, export_inclusion
from lineage.merkle.heads import public_key_hex, sign_head, trusted_keys
from lineage.merkle.offline import check_document
from lineage.models import DataAccess, EntryCategory, LogEntry
from lineage.retention import due
from lineage.retention.archive_file import read_archive
from lineage.retention.offline import check_archive
from lineage.retention.policy import RetentionPolicy
from lineage.store import AuditStore
from lineage.verify import report_json, verify_chain, verify_log


def _count(store: AuditStore, model) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_archive_moves_the_expired_segment_and_verify_passes(
    store: AuditStore, kit, tmp_path: Path
) -> None:
    old_history(store, kit)
    before = {e["seq"]: e for e in store.entries()}

    outcome = archive(store, tmp_path / "archive")

    assert [(s.first_seq, s.end_seq) for s in outcome.plan.segments] == [(1, OLD + 1)]
    [done] = outcome.archived
    rows = read_archive(done.manifest).rows
    assert [r["seq"] for r in rows] == list(range(1, OLD + 1))
    assert all(rows[i]["payload"] == before[i + 1]["payload"] for i in range(OLD))
    assert store.count_entries() == len(before) - OLD + 1  # plus the archiving's own event
    with store.engine.connect() as conn:
        left = conn.execute(select(func.min(EntryCategory.seq))).scalar_one()
    assert left == OLD + 1
    report = verify_log(store.engine, keys=store.keys)
    assert report.ok, report_json(report)["problems"]
    assert (report.archive.segments, report.archive.entries, report.archive.files_checked) == (
        1,
        OLD,
        1,
    )
    assert report.tree.size == len(before) + 1
    chain = verify_chain(store.engine)
    assert chain.ok and chain.entries == len(before) - OLD + 1


def test_projections_are_rebuilt_from_what_remains(store: AuditStore, kit, tmp_path) -> None:
    old_history(store, kit)
    assert _count(store, DataAccess) > 0
    reads_before = _count(store, DataAccess)

    archive(store, tmp_path)

    with store.engine.connect() as conn:
        oldest = conn.execute(select(func.min(DataAccess.seq))).scalar_one()
    assert oldest > OLD
    assert _count(store, DataAccess) < reads_before


def test_the_archive_verifies_offline_and_fails_when_altered(
    store: AuditStore, kit, tmp_path: Path
) -> None:
    old_history(store, kit)
    [done] = archive(store, tmp_path).archived
    pinned = public_key_hex(next(iter(trusted_keys(store.keys).values())))
    steps = check_archive(done.manifest, pinned)
    assert all(s.ok for s in steps), steps
    assert len(steps) == 6

    text = done.data_file.read_text(encoding="utf-8").replace("out3", "out9", 1)
    done.data_file.write_text(text, encoding="utf-8")

    failed = [s.what for s in check_archive(done.manifest, pinned) if not s.ok]
    assert failed and "SHA-256" in failed[0]


def test_an_archive_rewritten_with_a_matching_hash_still_fails(
    store: AuditStore, kit, tmp_path: Path
) -> None:
    """Editing the entries and the manifest's hash together breaks the signed statement."""
    old_history(store, kit)
    [done] = archive(store, tmp_path).archived
    text = done.data_file.read_text(encoding="utf-8").replace("out3", "out9", 1)
    done.data_file.write_text(text, encoding="utf-8")
    manifest = json.loads(done.manifest.read_text(encoding="utf-8"))
    from lineage.retention.archive_file import file_sha256

    manifest["data_sha256"] = manifest["statement"]["file_sha256"] = file_sha256(done.data_file)
    done.manifest.write_text(json.dumps(manifest), encoding="utf-8")

    failed = [s.what for s in check_archive(done.manifest) if not s.ok]
    assert any("statement signature FAILS" in f for f in failed)
    assert any("breaks the hash chain" in f for f in failed)


def test_proofs_for_later_entries_and_consistency_still_verify(
    store: AuditStore, kit, tmp_path: Path
) -> None:
    old_history(store, kit)
    first = sign_head(store)
    archive(store, tmp_path)
    later = sign_head(store)
    pinned = public_key_hex(next(iter(trusted_keys(store.keys).values())))

    inclusion = export_inclusion(store.engine, OLD + 2)
    assert inclusion["entry"] is not None
    consistency = export_consistency(store.engine, first.tree_size, later.tree_size)

    assert all(s.ok for s in check_document(inclusion, [later.to_json()], pinned))
    archived = export_inclusion(store.engine, 3)  # its leaf is proven, its bytes are archived
    assert archived["entry"] is None
    assert all(s.ok for s in check_document(archived, [later.to_json()], pinned))
    assert all(
        s.ok for s in check_document(consistency, [first.to_json(), later.to_json()], pinned)
    )
    assert verify_log(store.engine, keys=store.keys).ok


def test_appends_after_archiving_chain_on(store: AuditStore, kit, tmp_path: Path) -> None:
    old_history(store, kit)
    archive(store, tmp_path)
    seq = store.ingest([kit.event("after", "job", time="2026-01-01T00:00:00Z")]).accepted[0].seq
    assert seq == OLD + 3 + 2  # the archiving event took the one before
    assert verify_log(store.engine, keys=store.keys).ok


def test_a_second_segment_chains_from_the_first(store: AuditStore, kit, tmp_path: Path) -> None:
    """Two runs, each with its own segment; the second starts where the first ended."""
    old_history(store, kit)
    archive(
        store, tmp_path, RetentionPolicy(default_days=365, categories={"model_development": 9000})
    )
    with store.engine.connect() as conn:
        kept = conn.execute(select(LogEntry.seq).where(LogEntry.seq <= OLD)).scalars().all()
    assert kept == [4, 8, 12]  # the model trainings

    outcome = archive(store, tmp_path)

    assert [(s.first_seq, s.end_seq) for s in outcome.plan.segments] == [(4, 5), (8, 9), (12, 13)]
    report = verify_log(store.engine, keys=store.keys)
    assert report.ok, report_json(report)["problems"]
    assert report.archive.segments == 6 and report.archive.entries == OLD


def test_a_long_run_becomes_adjacent_segments(
    store: AuditStore, kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(due, "MAX_SEGMENT_ENTRIES", 5)
    old_history(store, kit)
    outcome = archive(store, tmp_path)
    assert [(a.segment.first_seq, a.segment.end_seq) for a in outcome.archived] == [
        (1, 6), (6, 11), (11, 13),
    ]  # fmt: skip
    report = verify_log(store.engine, keys=store.keys)
    assert report.ok and report.archive.entries == OLD
    assert all(all(s.ok for s in check_archive(a.manifest)) for a in outcome.archived)


def test_nothing_due_archives_nothing(store: AuditStore, kit, tmp_path: Path) -> None:
    old_history(store, kit)
    outcome = archive(store, tmp_path, RetentionPolicy(default_days=100_000))
    assert outcome.plan.segments == [] and outcome.archived == []
    assert not tmp_path.joinpath("segment-000000000001-000000000012.jsonl").exists()


def test_dry_run_changes_nothing(store: AuditStore, kit, tmp_path: Path) -> None:
    from test_retention_support import ADMIN

    from lineage.retention.archive import archive_due

    old_history(store, kit)
    count = store.count_entries()
    outcome = archive_due(store, ADMIN, ONE_YEAR, out=tmp_path / "archive", dry_run=True)
    assert outcome.plan.due_entries == OLD and outcome.archived == []
    assert store.count_entries() == count
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("recent", [0])
def test_the_last_entry_is_never_archived(store: AuditStore, kit, tmp_path, recent) -> None:
    old_history(store, kit, recent=recent)
    outcome = archive(store, tmp_path)
    assert [(s.first_seq, s.end_seq) for s in outcome.plan.segments] == [(1, OLD)]
    assert verify_log(store.engine, keys=store.keys).ok
