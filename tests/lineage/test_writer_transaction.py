"""The append's transaction on PostgreSQL, begun by its own first pipeline: still all or nothing,
and the connection goes back to the pool as it came (not in autocommit mode)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import exc, text

import lineage.store as store_module
from lineage import db
from lineage.projection.sql import Sql
from lineage.store import AuditStore
from lineage.verify import verify_log


def _event(kit, name: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return kit.event(
        name,
        "train",
        time="2026-04-01T00:00:00Z",
        inputs=[kit.dataset("features", "v1")],
        outputs=[kit.dataset("model", name, model=True)],
        actor=f"{name}@example.com",
    )


def _stored(store: AuditStore) -> dict[str, int]:
    tables = ("audit_log", "merkle_nodes", "runs", "run_inputs", "privacy_vault")
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def _fail_projection(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Make the projection fail after the log's rows were sent in the append's pipeline."""

    def failing(conn, entries, preload=None):  # type: ignore[no-untyped-def]
        if how == "server":
            Sql(conn).execute("SELECT 1 / 0")  # queued in the pipeline; the server refuses it
        raise RuntimeError("projection failed")

    monkeypatch.setattr(store_module, "project_entries", failing)


@pytest.mark.parametrize("pinged", [False, True], ids=["fresh", "pinged"])
@pytest.mark.parametrize("how", ["server", "client"])
def test_a_failed_append_leaves_nothing_and_the_next_one_works(
    pg_url: str, kit, monkeypatch: pytest.MonkeyPatch, how: str, pinged: bool
) -> None:  # type: ignore[no-untyped-def]
    """Pinged: every checkout pings the connection first (as after a second idle), which must
    not leave it inside a transaction of the ping's own."""
    if pinged:
        monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    store = AuditStore.open(pg_url)
    store.ingest([_event(kit, "first")])
    before = _stored(store)
    with monkeypatch.context() as patched:
        _fail_projection(patched, how)
        with pytest.raises((exc.DBAPIError, RuntimeError)):
            store.ingest([_event(kit, "failed")])
    assert _stored(store) == before
    store.ingest([_event(kit, "after")])
    after = _stored(store)
    report = verify_log(store.engine)
    store.close()
    assert after["audit_log"] == before["audit_log"] + 1 and report.ok


def test_the_connection_goes_back_to_the_pool_out_of_autocommit(pg_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(pg_url)
    store.ingest([_event(kit, "one")])
    with store.engine.connect() as conn:  # the pool's one connection, which ran the append
        driver = conn.connection.driver_connection
        assert driver is not None and driver.autocommit is False  # type: ignore[attr-defined]
        conn.execute(text("CREATE TABLE scratch (n INTEGER)"))
        conn.execute(text("INSERT INTO scratch VALUES (1)"))
        conn.rollback()  # in autocommit mode both would have stayed
        assert conn.execute(text("SELECT to_regclass('scratch')")).scalar_one() is None
    store.close()
