"""After archiving, the database still refuses every other change, and verify still catches the
attacker who gets past it: deleted rows, forged or edited segment rows, edited leaves, archives."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, exc, text
from tamper import drop_guards, execute
from tamper_tree import drop_tree_guards, set_node
from test_retention_support import archive, old_history

from lineage.retention.archive_file import read_archive
from lineage.retention.policy import RetentionPolicy
from lineage.store import AuditStore
from lineage.verify import report_json, verify_chain, verify_log

# Model trainings (seqs 4, 8, 12) are kept: segments 1..3, 5..7, 9..11, live rows between them.
KEEP_MODELS = RetentionPolicy(default_days=365, categories={"model_development": 9000})


@pytest.fixture
def archived(store: AuditStore, kit, tmp_path: Path) -> AuditStore:  # type: ignore[no-untyped-def]
    old_history(store, kit)
    outcome = archive(store, tmp_path, KEEP_MODELS)
    assert [(a.segment.first_seq, a.segment.end_seq) for a in outcome.archived] == [
        (1, 4), (5, 8), (9, 12),
    ]  # fmt: skip
    assert verify_log(store.engine, keys=store.keys).ok
    return store


def _problems(store: AuditStore) -> list[dict]:  # type: ignore[type-arg]
    report = verify_log(store.engine, keys=store.keys)
    assert not report.ok
    return report_json(report)["problems"]


def drop_segment_guards(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER archived_segments_no_update"))
            conn.execute(text("DROP TRIGGER archived_segments_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER archived_segments_no_change ON archived_segments"))


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM audit_log WHERE seq = 4",
        "DELETE FROM entry_categories WHERE seq = 4",
        "UPDATE audit_log SET payload = 'x' WHERE seq = 4",
        "UPDATE archived_segments SET end_seq = 5 WHERE first_seq = 1",
        "DELETE FROM archived_segments WHERE first_seq = 1",
    ],
)
def test_the_database_refuses_every_other_change(archived: AuditStore, sql: str) -> None:
    with pytest.raises(exc.DBAPIError, match="append-only"):
        execute(archived.engine, sql)


def test_a_row_deleted_outside_any_segment_is_named(archived: AuditStore) -> None:
    drop_guards(archived.engine)
    execute(archived.engine, "DELETE FROM entry_categories WHERE seq = 8")
    execute(archived.engine, "DELETE FROM audit_log WHERE seq = 8")

    problems = _problems(archived)
    assert any(p["check"] == "chain" and p["kind"] == "missing" and p["seq"] == 8 for p in problems)
    assert not verify_chain(archived.engine).ok


def test_the_entry_after_the_last_segment_deleted_is_named(archived: AuditStore) -> None:
    drop_guards(archived.engine)
    execute(archived.engine, "DELETE FROM entry_categories WHERE seq = 12")
    execute(archived.engine, "DELETE FROM audit_log WHERE seq = 12")

    problems = _problems(archived)
    assert any(p["kind"] == "missing" and p["seq"] == 13 for p in problems)


def test_a_forged_segment_row_does_not_license_a_deletion(archived: AuditStore) -> None:
    """The trigger lets the delete through once a segment row covers it; verify does not."""
    with archived.engine.begin() as conn:
        row = conn.execute(text("SELECT * FROM archived_segments WHERE first_seq = 5")).mappings()
        forged = dict(row.one())
        prev, last = conn.execute(
            text("SELECT prev_hash, entry_hash FROM audit_log WHERE seq = 8")
        ).one()
    forged.update(id=None, first_seq=8, end_seq=9, prev_hash=prev, last_hash=last)
    columns = [c for c in forged if c != "id"]
    execute(
        archived.engine,
        f"INSERT INTO archived_segments ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + c for c in columns)})",
        **{c: forged[c] for c in columns},
    )
    execute(archived.engine, "DELETE FROM entry_categories WHERE seq = 8")
    execute(archived.engine, "DELETE FROM audit_log WHERE seq = 8")  # no guard dropped

    kinds = {p["kind"] for p in _problems(archived) if p["seq"] == 8}
    assert {"archive-signature", "archive-leaves", "archive-unrecorded"} <= kinds


def test_an_edited_segment_row_is_caught(archived: AuditStore) -> None:
    """Stretching a segment over the next live entry, then deleting that entry."""
    drop_segment_guards(archived.engine)
    with archived.engine.begin() as conn:
        last = conn.execute(text("SELECT entry_hash FROM audit_log WHERE seq = 4")).scalar_one()
    execute(
        archived.engine,
        "UPDATE archived_segments SET end_seq = 5, last_hash = :h WHERE first_seq = 1",
        h=last,
    )
    execute(archived.engine, "DELETE FROM entry_categories WHERE seq = 4")
    execute(archived.engine, "DELETE FROM audit_log WHERE seq = 4")

    kinds = {p["kind"] for p in _problems(archived) if p["seq"] == 1}
    assert {"archive-signature", "archive-leaves"} <= kinds


def test_a_deleted_segment_row_leaves_a_gap_that_is_named(archived: AuditStore) -> None:
    drop_segment_guards(archived.engine)
    execute(archived.engine, "DELETE FROM archived_segments WHERE first_seq = 5")

    problems = _problems(archived)
    assert any(p["kind"] == "missing" and p["seq"] == 8 for p in problems)


def test_an_edited_leaf_inside_a_segment_is_caught(archived: AuditStore) -> None:
    drop_tree_guards(archived.engine)
    set_node(archived.engine, 0, 5, b"\x01" * 32)  # entry seq 6, archived

    problems = _problems(archived)
    assert any(p["check"] == "tree" for p in problems)
    assert any(p["kind"] == "archive-leaves" and p["seq"] == 5 for p in problems)


def test_a_row_put_back_inside_a_segment_is_named(archived: AuditStore, tmp_path: Path) -> None:
    [row] = [r for r in read_archive(tmp_path / "segment-000000000001-000000000003.jsonl").rows
             if r["seq"] == 2]  # fmt: skip
    row.pop("categories")
    columns = ", ".join(row)
    execute(
        archived.engine,
        f"INSERT INTO audit_log ({columns}) VALUES ({', '.join(':' + c for c in row)})",
        **row,
    )
    kinds = {p["kind"] for p in _problems(archived) if p["seq"] == 1}
    assert "archive-rows-present" in kinds


def test_an_altered_archive_file_is_caught_and_a_missing_one_only_noted(
    archived: AuditStore, tmp_path: Path
) -> None:
    data = tmp_path / "segment-000000000005-000000000007.jsonl"
    original = data.read_bytes()
    data.write_bytes(original.replace(b"out5", b"out0", 1))

    problems = _problems(archived)
    assert [p["kind"] for p in problems] == ["archive-file"]

    data.unlink()
    report = verify_log(archived.engine, keys=archived.keys)
    assert report.ok
    assert report.archive.files_missing == [str(data)]
    assert report.archive.files_checked == 2
