"""The log is append-only in the database and every kind of tampering is detected and located."""

from __future__ import annotations

import pytest
from scenario import ml_history
from sqlalchemy import exc, text
from tamper import drop_guards, execute

from lineage.privacy import pseudonym_for
from lineage.verify import verify_chain


@pytest.fixture
def filled(store, kit):  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    return store


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET payload = '{}' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 2",
        "UPDATE entry_categories SET category = 'run' WHERE seq = 2",
    ],
)
def test_database_refuses_changes_to_the_log(filled, statement: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc.DBAPIError, match="append-only"):
        execute(filled.engine, statement)
    assert verify_chain(filled.engine).ok


def test_postgres_refuses_truncate(pg_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    from lineage.store import AuditStore

    store = AuditStore.open(pg_url)
    store.ingest(ml_history(kit))
    with pytest.raises(exc.DBAPIError, match="append-only"):
        execute(store.engine, "TRUNCATE audit_log CASCADE")
    assert store.count_entries() == 10
    store.close()


def test_intact_log_verifies(filled) -> None:  # type: ignore[no-untyped-def]
    report = verify_chain(filled.engine)
    assert report.ok and report.entries == 10 and report.head_seq == 10


def first_problem(store):  # type: ignore[no-untyped-def]
    report = verify_chain(store.engine)
    assert not report.ok
    return report.first_problem


def test_edited_entry_is_named(filled) -> None:  # type: ignore[no-untyped-def]
    alice, mallory = (pseudonym_for(n, filled.keys.pseudonym_key()) for n in ("alice", "mallory"))
    drop_guards(filled.engine)
    execute(
        filled.engine,
        f"UPDATE audit_log SET payload = replace(payload, '{alice}', '{mallory}') WHERE seq = 3",
    )
    problem = first_problem(filled)
    assert (problem.seq, problem.kind) == (3, "edited")


def test_edited_metadata_column_is_named(filled) -> None:  # type: ignore[no-untyped-def]
    drop_guards(filled.engine)
    execute(filled.engine, "UPDATE audit_log SET submitter = 'someone' WHERE seq = 6")
    assert (first_problem(filled).seq, first_problem(filled).kind) == (6, "edited")


def test_deleted_entry_is_named(filled) -> None:  # type: ignore[no-untyped-def]
    drop_guards(filled.engine)
    execute(filled.engine, "DELETE FROM entry_categories WHERE seq = 4")
    execute(filled.engine, "DELETE FROM audit_log WHERE seq = 4")
    problem = first_problem(filled)
    assert (problem.seq, problem.kind) == (5, "missing")
    assert "4" in problem.detail


def test_reordered_entries_are_named(filled) -> None:  # type: ignore[no-untyped-def]
    drop_guards(filled.engine)
    with filled.engine.begin() as conn:
        rows = {
            r.seq: r
            for r in conn.execute(
                text("SELECT seq, payload, key FROM audit_log WHERE seq IN (6, 7)")
            )
        }
        conn.execute(
            text("UPDATE audit_log SET payload = :p WHERE seq = 6"), {"p": rows[7].payload}
        )
        conn.execute(
            text("UPDATE audit_log SET payload = :p WHERE seq = 7"), {"p": rows[6].payload}
        )
    problem = first_problem(filled)
    assert (problem.seq, problem.kind) == (6, "edited")


def test_inserted_entry_with_rehashed_content_is_named(filled, kit) -> None:  # type: ignore[no-untyped-def]
    """An attacker who shifts entries to insert one, re-hashing it, still breaks the next link."""
    drop_guards(filled.engine)
    from lineage.chain import chain_hash, entry_bytes, entry_header

    with filled.engine.begin() as conn:
        conn.execute(text("DELETE FROM entry_categories WHERE seq >= 5"))
        for seq in range(10, 4, -1):
            conn.execute(text("UPDATE audit_log SET seq = seq + 1 WHERE seq = :s"), {"s": seq})
        prev = conn.execute(text("SELECT entry_hash FROM audit_log WHERE seq = 4")).scalar_one()
        header = entry_header(
            seq=5,
            key="f" * 64,
            received_at="2026-01-01T00:00:00.000000Z",
            submitter=None,
            normalizations="[]",
        )
        payload = '{"forged":true}'
        conn.execute(
            text(
                "INSERT INTO audit_log (seq, key, received_at, event_time, event_type, producer, "
                "normalizations, payload, prev_hash, entry_hash) VALUES (5, :k, "
                "'2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', 'COMPLETE', 'x', "
                "'[]', :p, :prev, :h)"
            ),
            {
                "k": "f" * 64,
                "p": payload,
                "prev": prev,
                "h": chain_hash(prev, entry_bytes(header, payload)),
            },
        )
    problem = first_problem(filled)
    # The shifted entry's own sequence number is hashed, so it is the first to fail.
    assert (problem.seq, problem.kind) == (6, "edited")
