"""Figure 4: bytes on disk per event, against the size of the events as JSON.

SQLite: the pages of the database file in use (free pages, such as those the raw-insert
benchmark's dropped table leaves, are not the store's) plus the WAL, after a checkpoint. PostgreSQL:
`pg_total_relation_size` (table, indexes, TOAST) summed over the store's tables. The JSON size
is the events as a producer sends them (compact `json.dumps`), summed while they were ingested.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bench.common import Figure, figure

TABLES_SIZE = text(
    """
    SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname = current_schema()
    """
)


def bytes_on_disk(engine: Engine) -> int:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return int(conn.execute(TABLES_SIZE).scalar_one())
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = {
            name: int(conn.exec_driver_sql(f"PRAGMA {name}").scalar_one())
            for name in ("page_count", "freelist_count", "page_size")
        }
    database = make_url(str(engine.url)).database
    if not database:
        raise ValueError("storage of an in-memory SQLite database cannot be measured")
    wal = Path(database + "-wal")
    used = (pages["page_count"] - pages["freelist_count"]) * pages["page_size"]
    return used + (wal.stat().st_size if wal.exists() else 0)


def storage_figures(engine: Engine, events: int, json_bytes: int) -> list[Figure]:
    stored = bytes_on_disk(engine)
    note = "measured once: sizes are deterministic for a given generator seed"
    return [
        figure("store bytes per event", [stored / events], "bytes", None, note),
        figure("event JSON bytes per event", [json_bytes / events], "bytes", None, "compact JSON"),
        figure("store / JSON size", [stored / json_bytes], "ratio", None, note),
    ]
