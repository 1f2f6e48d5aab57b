"""Every row of every projection table, ids included, in key order: what two stores compare."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from lineage.rebuild import PROJECTIONS


def projection_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for model in PROJECTIONS:
            table = model.__table__
            query = select(table).order_by(*table.primary_key.columns)
            tables[table.name] = [dict(row) for row in conn.execute(query).mappings()]
    return tables
