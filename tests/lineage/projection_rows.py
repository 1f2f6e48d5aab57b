"""Every row of every projection table, ids included, in key order: what two stores compare."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from lineage.models import LogEntry
from lineage.rebuild import PROJECTIONS


def projection_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for model in PROJECTIONS:
            table = model.__table__
            query = select(table).order_by(*table.primary_key.columns)
            tables[table.name] = [dict(row) for row in conn.execute(query).mappings()]
    return tables


# Two stores given the same events differ in the log only by arrival time and what hashes it.
ARRIVAL = {"received_at", "prev_hash", "entry_hash"}


def store_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """The projections and the log, but for what the chain hashes besides the event."""
    columns = [c for c in LogEntry.__table__.columns if c.name not in ARRIVAL]
    with engine.connect() as conn:
        log = conn.execute(select(*columns).order_by(LogEntry.seq)).mappings()
        entries = [dict(row) for row in log]
    return {**projection_rows(engine), "audit_log": entries}
