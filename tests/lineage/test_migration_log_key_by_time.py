"""Migration 0015: the log's key is unique with the event's time in front, not alone. Every row,
index, trigger and foreign key survives both ways (SQLite rebuilds the table), and the log still
verifies, refuses a second row of a stored event and refuses to be changed."""

from __future__ import annotations

import pytest
from migration_support import alembic
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from lineage.store import AuditStore
from lineage.verify import verify_log

COPY_ROW = (
    "INSERT INTO audit_log SELECT seq + 1000, key, received_at, event_time, event_type, producer,"
    " submitter, job_namespace, job_name, run_id, actor, normalizations, payload, prev_hash,"
    " entry_hash FROM audit_log WHERE seq = 1"
)


def _unique_columns(engine: Engine) -> set[tuple[str, ...]]:
    found = inspect(engine)
    unique = {tuple(c["column_names"]) for c in found.get_unique_constraints("audit_log")}
    indexes = found.get_indexes("audit_log")
    return unique | {tuple(i["column_names"]) for i in indexes if i["unique"]}


def _indexed(engine: Engine) -> set[tuple[str, ...]]:
    return {tuple(i["column_names"]) for i in inspect(engine).get_indexes("audit_log")}


def _log(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM audit_log ORDER BY seq"))]


def _events(kit, step: int) -> list[dict]:  # type: ignore[no-untyped-def]
    sides = {"inputs": [kit.dataset(f"raw{step}")], "outputs": [kit.dataset(f"clean{step}")]}
    when = f"2026-03-0{step}T00:00:00Z"
    return [
        kit.event(f"train{step}", "job", event_type="START", time=when, **sides),
        kit.event(f"train{step}", "job", time=f"2026-03-0{step}T00:01:00Z", **sides),
    ]


def _refuses(engine: Engine, statement: str) -> None:
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(statement))


def test_the_key_is_unique_by_time_both_ways_with_every_row(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(db_url)
    engine = store.engine
    assert ("event_time", "key") in _unique_columns(engine)
    assert ("key",) not in _unique_columns(engine)
    assert ("event_time",) not in _indexed(engine)
    store.ingest(_events(kit, 1))
    alembic(engine, "downgrade", "0014")
    assert ("key",) in _unique_columns(engine)
    assert ("event_time",) in _indexed(engine)
    store.ingest(_events(kit, 2))
    before = _log(engine)
    alembic(engine, "upgrade", "head")
    assert _log(engine) == before
    assert ("event_time", "key") in _unique_columns(engine)
    assert ("key",) not in _unique_columns(engine)
    assert ("event_time",) not in _indexed(engine)
    assert {("run_id",), ("actor",)} <= _indexed(engine)
    result = store.ingest([*_events(kit, 2), *_events(kit, 3)])
    assert [a.duplicate for a in result.accepted] == [True, True, False, False]
    assert verify_log(engine).ok
    _refuses(engine, COPY_ROW)  # a stored event's (event_time, key) again
    _refuses(engine, "UPDATE audit_log SET producer = 'x' WHERE seq = 1")
    _refuses(engine, "DELETE FROM audit_log WHERE seq = 1")
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    store.close()
