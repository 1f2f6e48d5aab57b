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

from sqlalchemy import Connection

from lineage.collector import collector_paused
from lineage.projection.sql import Sql

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
EDGES_POSTGRES = """
    SELECT parent_version_id, child_version_id, child_dataset_id FROM version_edges
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
    depths.update((vid, depth) for vid, (depth, _) in reach.items())
    return depths


def walk_downstream_reach(
    conn: Connection, dataset_id: int, as_of: str
) -> dict[int, tuple[int, int]]:
    """Version id -> (depth, dataset id) of everything made from any version of the dataset,
    its own versions excepted, in breadth-first order (nondecreasing depth: impact relies on
    it)."""
    return _reach(Sql(conn), dataset_id, as_of)[1]


def _reach(sql: Sql, dataset_id: int, as_of: str) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """The dataset's own versions, and version id -> (depth, dataset id) of what they reach."""
    own = [row[0] for row in sql.rows(OWN_VERSIONS, [dataset_id])]
    if not sql.postgres:
        return own, _levels(sql, own, as_of)
    datasets = [row[0] for row in sql.rows(DATASETS_DOWN, [dataset_id, as_of])]
    listed = "{" + ",".join(map(str, datasets)) + "}"
    # Tens of thousands of rows and tuples, all alive until the walk ends: each collection the
    # allocations set off traversed them all and freed nothing (half of the largest walk's time).
    with collector_paused():
        return own, _breadth_first(own, sql.rows(EDGES_POSTGRES, [listed, as_of]))


def _levels(sql: Sql, own: list[int], as_of: str) -> dict[int, tuple[int, int]]:
    """SQLite: the walk, one statement per breadth-first level."""
    seen = set(own)
    reach: dict[int, tuple[int, int]] = {}
    level = own
    for depth in range(1, MAX_DEPTH + 1):
        if not level:
            break
        found = sql.rows(CHILDREN_SQLITE, ["[" + ",".join(map(str, level)) + "]", as_of])
        level = []
        for child, child_dataset in found:
            if child not in seen:
                seen.add(child)
                reach[child] = (depth, child_dataset)
                level.append(child)
    return reach


def _breadth_first(
    own: list[int], edges: Iterable[tuple[int, int, int]]
) -> dict[int, tuple[int, int]]:
    """Version id -> (depth, dataset id) of what `own` reaches over the (parent, child, child's
    dataset) edges, in breadth-first order; edges from versions never reached are ignored."""
    following: dict[int, list[int]] = {}
    dataset_of: dict[int, int] = {}
    for parent, child, child_dataset in edges:
        dataset_of[child] = child_dataset
        if parent in following:
            following[parent].append(child)
        else:
            following[parent] = [child]
    seen = set(own)
    reach: dict[int, tuple[int, int]] = {}
    level = own
    for depth in range(1, MAX_DEPTH + 1):
        # Each child once, at the first level that meets it (`seen.add` returns None).
        level = [
            c for v in level for c in following.get(v, ()) if c not in seen and not seen.add(c)
        ]
        if not level:
            break
        reach.update((child, (depth, dataset_of[child])) for child in level)
    return reach


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
