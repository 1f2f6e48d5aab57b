"""The lineage walks: breadth-first, one indexed query per level, on SQLite and PostgreSQL alike.

A recursive CTE (`WITH RECURSIVE ... UNION`) deduplicates (version, depth) pairs, not versions:
on a graph with fan-in and fan-out every version comes back once per path length that reaches
it, and the walk from a source dataset through 30+ layers of features took seconds at 100,000
events. Walking level by level and remembering what was seen visits each version once, and the
level a version is first met at is its shortest distance, the depth a trace reports. Depth is
capped for pathological graphs.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from lineage.projection.sql import Query, Sql

END_OF_TIME = "9999-12-31T23:59:59.999999Z"
MAX_DEPTH = 200

# The versions one step away from a set of versions, through runs (edges as of a moment).
UPSTREAM_STEP = (
    "SELECT DISTINCT ri.version_id FROM run_outputs ro "
    "JOIN run_inputs ri ON ri.run_id = ro.run_id "
    "WHERE ro.version_id {in} AND ro.event_time <= ? AND ri.event_time <= ?"
)
DOWNSTREAM_STEP = (
    "SELECT DISTINCT ro.version_id FROM run_inputs ri "
    "JOIN run_outputs ro ON ro.run_id = ri.run_id "
    "WHERE ri.version_id {in} AND ri.event_time <= ? AND ro.event_time <= ?"
)


def walk_upstream(conn: Connection, start: int, as_of: str) -> dict[int, int]:
    """Version id -> depth of everything `start` was made from (itself at depth 0)."""
    return _walk(Sql(conn), UPSTREAM_STEP, [start], as_of)


def walk_downstream(conn: Connection, dataset_id: int, as_of: str) -> dict[int, int]:
    """Version id -> depth of everything made from any version of the dataset (its own: 0)."""
    sql = Sql(conn)
    own = sql.rows("SELECT id FROM dataset_versions WHERE dataset_id = ?", [dataset_id])
    return _walk(sql, DOWNSTREAM_STEP, [row[0] for row in own], as_of)


def _walk(sql: Sql, step: str, start: Iterable[int], as_of: str) -> dict[int, int]:
    depths = dict.fromkeys(start, 0)
    frontier = list(depths)
    depth = 0
    while frontier and depth < MAX_DEPTH:
        depth += 1
        query = sql.where_in(step, frontier)
        (rows,) = sql.fetch(Query([(text, [*ids, as_of, as_of]) for text, ids in query.statements]))
        frontier = [row[0] for row in rows if row[0] not in depths]
        frontier = list(dict.fromkeys(frontier))  # two chunks may both name a version
        depths.update(dict.fromkeys(frontier, depth))
    return depths
