"""`chunked_rows`: the rows of an `IN :ids` query as dicts, the same on SQLite (in chunks under
its parameter limit) and PostgreSQL (one array, through the store's pipeline)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, text

from lineage.queries.nodes import CHUNK, _positional, chunked_rows
from lineage.store import AuditStore

QUERY = text(
    "SELECT n AS id, 'run-' || n AS run_id, CAST(:tag AS VARCHAR) AS tag FROM nums "
    "WHERE n IN :ids AND n >= :low"
).bindparams(bindparam("ids", expanding=True))
BY_TEXT = text("SELECT n FROM nums WHERE 'run-' || n IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


@pytest.fixture
def numbered(store: AuditStore) -> AuditStore:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE nums (n INTEGER PRIMARY KEY)")
        conn.execute(text("INSERT INTO nums VALUES (:n)"), [{"n": n} for n in range(2500)])
    return store


def test_rows_come_back_as_dicts_for_every_id_past_a_chunk(numbered: AuditStore) -> None:
    wanted = range(5, CHUNK * 2 + 100)
    with numbered.engine.connect() as conn:
        rows = chunked_rows(conn, QUERY, wanted, tag="t::x", low=10)
    assert sorted(row["id"] for row in rows) == list(range(10, CHUNK * 2 + 100))
    assert rows[0].keys() == {"id", "run_id", "tag"}
    assert {row["tag"] for row in rows} == {"t::x"}
    assert all(row["run_id"] == f"run-{row['id']}" for row in rows)


def test_text_ids_with_quotes_and_commas_are_matched_exactly(numbered: AuditStore) -> None:
    with numbered.engine.connect() as conn:
        rows = chunked_rows(conn, BY_TEXT, ["run-3", 'run-4", run-5', "run-6,run-7", "run-8"])
        assert sorted(row["n"] for row in rows) == [3, 8]
        assert chunked_rows(conn, BY_TEXT, []) == []


def test_named_parameters_become_positional_and_casts_stay() -> None:
    sql = "SELECT CAST(x AS INTEGER)::text FROM t WHERE a IN :ids AND b <= :as_of OR c = :ids2"
    assert _positional(sql) == (
        "SELECT CAST(x AS INTEGER)::text FROM t WHERE a = ANY(?) AND b <= ? OR c = ?",
        ("ids", "as_of", "ids2"),
    )
    with pytest.raises(ValueError, match="IN :ids"):
        _positional("SELECT 1")
