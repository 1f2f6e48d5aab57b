"""Migration 0013: edges stored before it get their parent's dataset; the triggers fill it for
edges made after it; downgrading drops the column and puts back the triggers without it."""

from __future__ import annotations

from migration_support import alembic
from sqlalchemy import Engine, text

from lineage.store import AuditStore

EDGES = text(
    "SELECT e.parent_dataset_id, pv.dataset_id FROM version_edges e"
    " JOIN dataset_versions pv ON pv.id = e.parent_version_id"
)


def _chain(kit, step: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """One run reading `d{step}` and writing `d{step + 1}`."""
    source, target = kit.dataset(f"d{step}", f"v{step}"), kit.dataset(f"d{step + 1}", f"v{step}")
    return [
        kit.event(
            f"run{step}", f"job{step}", time=f"2026-02-01T00:0{step}:00Z",
            inputs=[source], outputs=[target],
        )
    ]  # fmt: skip


def _parent_datasets(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(EDGES)]


def test_edges_get_their_parent_dataset_before_and_after_it(db_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(db_url)
    alembic(store.engine, "downgrade", "0012")
    with store.engine.connect() as conn:
        columns = conn.execute(text("SELECT * FROM version_edges")).keys()
    assert "parent_dataset_id" not in columns
    store.ingest(_chain(kit, 1))  # the 0010 triggers, without the column
    alembic(store.engine, "upgrade", "head")
    store.ingest(_chain(kit, 2))
    found = _parent_datasets(store.engine)
    assert len(found) == 2
    assert all(stored == actual for stored, actual in found)
    store.close()
