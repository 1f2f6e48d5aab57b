"""The lineage walks, on SQLite and PostgreSQL alike. Upstream, the database finds what is
reachable in one recursive query and the depths are computed here, breadth-first, from the edges
it returns; downstream, where a walk reaches tens of thousands of versions, one statement per
breadth-first level on SQLite, and on PostgreSQL the reachable datasets' edges in one statement
with the walk over versions here (below).

A recursive CTE that carries the depth (`WITH RECURSIVE up(version_id, depth) ... UNION`)
deduplicates (version, depth) pairs, not versions: on a graph with fan-in and fan-out every
version came back once per path length reaching it, and the walk from a source dataset through
30+ layers of features took seconds at 100,000 events. Without the depth column UNION visits each
version once; the query then returns the edges among the versions it reached, and a
breadth-first pass over them gives each version its shortest distance, the depth a trace
reports. Depth is capped for pathological graphs.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sqlalchemy import Connection

from lineage.projection.sql import Sql
from lineage.queries.reach import IDS, Reach, breadth_first

END_OF_TIME = "9999-12-31T23:59:59.999999Z"
MAX_DEPTH = 200

# (from, to) edges among everything reachable from the start, edges as of a moment (every `?`
# after the start is that moment), over the derivation edges (version_edges, migration 0010):
# a read that led to no write is not an edge, so the walks skip the many runs that only read.
# CROSS JOIN keeps SQLite's join order (the reached set drives; left to itself it scanned every
# edge and probed the set); PostgreSQL plans it as any inner join.
UPSTREAM_EDGES = """
    WITH RECURSIVE up(version_id) AS (
        SELECT CAST(? AS INTEGER)
        UNION
        SELECT e.parent_version_id FROM up
        JOIN version_edges e ON e.child_version_id = up.version_id AND e.event_time <= ?
    )
    SELECT e.child_version_id, e.parent_version_id, e.run_id
    FROM up CROSS JOIN version_edges e
    WHERE e.child_version_id = up.version_id AND e.event_time <= ?
"""
# Downstream on SQLite, one breadth-first level per statement: the children of a level's
# versions, each reached version looked up once (a range scan of the primary key, which leads
# with the parent; no planning, in process) and its depth the level it is first met at. Each
# edge carries its child's dataset, which impact groups by. The level goes as one JSON array.
CHILDREN_SQLITE = """
    SELECT e.child_version_id, e.child_dataset_id
    FROM json_each(?) AS level CROSS JOIN version_edges e
    WHERE e.parent_version_id = level.value AND e.event_time <= ?
"""
# Downstream on PostgreSQL, by dataset, where a statement per level cost an index probe per
# version reached and the planning of each level's array (26,752 probes over 72 statements for
# the largest source at 1M events): the datasets reachable from the start (a recursive query
# over a few hundred datasets, deduplicated by UNION), then every edge leaving them, a range
# scan of ix_version_edges_down per dataset (migration 0013). A version reached downstream
# belongs to a reachable dataset, so these edges hold every edge the walk can follow; it
# follows them here. On SQLite this was slower than the levels (docs/PERFORMANCE.md, eighth
# round). The dataset list goes as an array literal (psycopg's list adaptation checks every
# element with a regular expression).
DATASETS_DOWN = """
    WITH RECURSIVE down(dataset_id) AS (
        SELECT CAST(? AS INTEGER)
        UNION
        SELECT e.child_dataset_id FROM down
        JOIN version_edges e ON e.parent_dataset_id = down.dataset_id AND e.event_time <= ?
    )
    SELECT dataset_id FROM down
"""
# The edges come as one byte string, each edge 12 bytes (three big-endian 4-byte integers),
# which numpy reads as it is: the largest source at 1M has 42,547 edges, 30-33 ms as rows of
# Python integers, 21 ms as a byte string per column, 15 ms as one (the scan alone takes 9). A
# wider integer would make int4send fail, never be read wrong.
EDGES_POSTGRES = """
    SELECT string_agg(
        int4send(parent_version_id) || int4send(child_version_id) || int4send(child_dataset_id),
        ''::bytea)
    FROM version_edges
    WHERE parent_dataset_id = ANY(CAST(? AS INTEGER[])) AND event_time <= ?
"""
OWN_VERSIONS = "SELECT id FROM dataset_versions WHERE dataset_id = ?"


def walk_upstream(conn: Connection, start: int, as_of: str) -> dict[int, int]:
    """Version id -> depth of everything `start` was made from (itself at depth 0)."""
    return walk_upstream_reads(conn, start, as_of)[0]


def walk_upstream_reads(
    conn: Connection, start: int, as_of: str
) -> tuple[dict[int, int], set[tuple[str, int]]]:
    """The upstream depths, and the (run, version) reads of the runs that made them. Every read
    of such a run is an edge to each of its outputs, so the edges carry all of them: no second
    look at run_inputs (at 1M events that lookup was most of a trace's time, on a cold cache)."""
    rows = Sql(conn).rows(UPSTREAM_EDGES, [start, as_of, as_of])
    depths = _depths([start], ((child, parent) for child, parent, _ in rows))
    return depths, {(run, parent) for _, parent, run in rows}


def walk_downstream(conn: Connection, dataset_id: int, as_of: str) -> dict[int, int]:
    """Version id -> depth of everything made from any version of the dataset (its own: 0)."""
    own, reach = _reach(Sql(conn), dataset_id, as_of)
    depths = dict.fromkeys(own, 0)
    depths.update(reach.depth_by_version())
    return depths


def walk_downstream_reach(conn: Connection, dataset_id: int, as_of: str) -> Reach:
    """Everything made from any version of the dataset, its own versions excepted, with depths
    and datasets, in breadth-first order."""
    return _reach(Sql(conn), dataset_id, as_of)[1]


def _reach(sql: Sql, dataset_id: int, as_of: str) -> tuple[list[int], Reach]:
    """The dataset's own versions, and what they reach."""
    own = [row[0] for row in sql.rows(OWN_VERSIONS, [dataset_id])]
    if not sql.postgres:
        return own, _levels(sql, own, as_of)
    datasets = [row[0] for row in sql.rows(DATASETS_DOWN, [dataset_id, as_of])]
    listed = "{" + ",".join(map(str, datasets)) + "}"
    ((packed,),) = sql.rows(EDGES_POSTGRES, [listed, as_of])
    edges = np.frombuffer(packed or b"", dtype=">i4").reshape(-1, 3).astype(IDS).T
    return own, breadth_first(own, *edges, max_depth=MAX_DEPTH)


def _levels(sql: Sql, own: list[int], as_of: str) -> Reach:
    """SQLite: the walk, one statement per breadth-first level."""
    seen = set(own)
    versions: list[int] = []
    depths: list[int] = []
    datasets: list[int] = []
    level = own
    for depth in range(1, MAX_DEPTH + 1):
        if not level:
            break
        found = sql.rows(CHILDREN_SQLITE, ["[" + ",".join(map(str, level)) + "]", as_of])
        level = []
        for child, child_dataset in found:
            if child not in seen:
                seen.add(child)
                level.append(child)
                datasets.append(child_dataset)
        versions += level
        depths += [depth] * len(level)
    return Reach.of(versions, depths, datasets)


def _depths(start: Iterable[int], edges: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Breadth-first from `start`: each version at the level it is first met, up to MAX_DEPTH."""
    following: dict[int, list[int]] = {}
    for source, target in edges:
        following.setdefault(source, []).append(target)
    depths = dict.fromkeys(start, 0)
    frontier = list(depths)
    for depth in range(1, MAX_DEPTH + 1):
        reached = [t for v in frontier for t in following.get(v, ()) if t not in depths]
        frontier = list(dict.fromkeys(reached))
        if not frontier:
            break
        depths.update(dict.fromkeys(frontier, depth))
    return depths
