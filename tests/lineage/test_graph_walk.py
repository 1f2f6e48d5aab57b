"""The level-by-level lineage walks answer exactly what the recursive CTE they replaced answered
(every version, each at its shortest distance, edges as of a moment), on graphs full of diamonds."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from lineage.queries.graph_sql import END_OF_TIME, MAX_DEPTH, walk_downstream, walk_upstream
from lineage.rebuild import rebuild_projections

# The walks as they were: the reference the new ones must agree with.
CTE_UP = text(
    """
    WITH RECURSIVE up(version_id, depth) AS (
        SELECT CAST(:start AS INTEGER), 0
        UNION
        SELECT ri.version_id, up.depth + 1
        FROM up
        JOIN run_outputs ro ON ro.version_id = up.version_id AND ro.event_time <= :as_of
        JOIN run_inputs ri ON ri.run_id = ro.run_id AND ri.event_time <= :as_of
        WHERE up.depth < :max_depth
    )
    SELECT version_id, MIN(depth) AS depth FROM up GROUP BY version_id
    """
)
CTE_DOWN = text(
    """
    WITH RECURSIVE down(version_id, depth) AS (
        SELECT id, 0 FROM dataset_versions WHERE dataset_id = :dataset_id
        UNION
        SELECT ro.version_id, down.depth + 1
        FROM down
        JOIN run_inputs ri ON ri.version_id = down.version_id AND ri.event_time <= :as_of
        JOIN run_outputs ro ON ro.run_id = ri.run_id AND ro.event_time <= :as_of
        WHERE down.depth < :max_depth
    )
    SELECT version_id, MIN(depth) AS depth FROM down GROUP BY version_id
    """
)


def _layered_history(kit, rng: random.Random) -> list[dict]:  # type: ignore[no-untyped-def]
    """Six layers of four datasets, two versions each; every run reads a dataset of the layer
    before and up to three of any earlier layer, so paths of many lengths reach a version."""
    events, layers = [], [[f"d{layer}_{i}" for i in range(4)] for layer in range(6)]
    minute = 0
    for rebuild in range(2):
        for depth, layer in enumerate(layers):
            for name in layer:
                minute += 1
                upstream = [n for earlier in layers[:depth] for n in earlier]
                reads = rng.sample(upstream, k=min(len(upstream), rng.randint(1, 3)))
                if depth:  # one input from the layer just before: paths as long as the layers
                    reads = list(dict.fromkeys([rng.choice(layers[depth - 1]), *reads]))
                events.append(
                    kit.event(
                        f"{name}-{rebuild}",
                        f"build-{name}",
                        time=f"2026-01-01T00:{minute // 60:02d}:{minute % 60:02d}Z",
                        inputs=[kit.dataset(n, f"{n}-v{rebuild}") for n in reads],
                        outputs=[kit.dataset(name, f"{name}-v{rebuild}")],
                    )
                )
    return events


@pytest.fixture
def diamonds(store, kit):  # type: ignore[no-untyped-def]
    store.ingest(_layered_history(kit, random.Random(11)))
    return store


def _reference(conn, query, params: dict) -> dict[int, int]:  # type: ignore[no-untyped-def]
    return {r.version_id: r.depth for r in conn.execute(query, {**params, "max_depth": MAX_DEPTH})}


def test_upstream_walk_equals_the_recursive_query(diamonds) -> None:  # type: ignore[no-untyped-def]
    with diamonds.engine.connect() as conn:
        versions = [row[0] for row in conn.execute(text("SELECT id FROM dataset_versions"))]
        moments = [END_OF_TIME, "2026-01-01T00:20:00.000000Z", "2026-01-01T00:40:00.000000Z"]
        deep = 0
        for version in versions:
            for moment in moments:
                expected = _reference(conn, CTE_UP, {"start": version, "as_of": moment})
                assert walk_upstream(conn, version, moment) == expected
                deep = max(deep, *expected.values())
    assert deep >= 4  # the graph really has long paths (and, by construction, short ones)


def test_downstream_walk_equals_the_recursive_query(diamonds) -> None:  # type: ignore[no-untyped-def]
    with diamonds.engine.connect() as conn:
        datasets = [row[0] for row in conn.execute(text("SELECT id FROM datasets"))]
        for dataset in datasets:
            for moment in (END_OF_TIME, "2026-01-01T00:30:00.000000Z"):
                expected = _reference(conn, CTE_DOWN, {"dataset_id": dataset, "as_of": moment})
                assert walk_downstream(conn, dataset, moment) == expected


# What version_edges must hold: every (read, write) pair of a run, at the later of the two times,
# with the datasets of both sides.
EDGES_FROM_RUNS = text(
    """
    SELECT ri.version_id, ro.version_id, ri.run_id,
           CASE WHEN ri.event_time > ro.event_time THEN ri.event_time ELSE ro.event_time END,
           pv.dataset_id, cv.dataset_id
    FROM run_inputs ri JOIN run_outputs ro ON ro.run_id = ri.run_id
    JOIN dataset_versions pv ON pv.id = ri.version_id
    JOIN dataset_versions cv ON cv.id = ro.version_id
    """
)
STORED_EDGES = text(
    "SELECT parent_version_id, child_version_id, run_id, event_time, parent_dataset_id,"
    " child_dataset_id FROM version_edges"
)


def _edge_sets(store) -> tuple[set, set]:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return set(conn.execute(EDGES_FROM_RUNS)), set(conn.execute(STORED_EDGES))


def test_edges_follow_each_side_of_a_run_in_either_order(store, kit) -> None:  # type: ignore[no-untyped-def]
    """A run's outputs may be projected before its inputs (COMPLETE before START, or a later
    event adding an input); the triggers on both tables make the same edges either way."""
    raw, clean = kit.dataset("raw", "r1"), kit.dataset("clean", "c1")
    other = kit.dataset("other", "o1")
    store.ingest([kit.event("w", "write", time="2026-01-01T00:01:00Z", outputs=[clean])])
    store.ingest([kit.event("w", "write", time="2026-01-01T00:02:00Z", inputs=[raw])])
    store.ingest([kit.event("w", "write", time="2026-01-01T00:03:00Z", inputs=[other])])
    store.ingest([kit.event("r", "read", time="2026-01-01T00:04:00Z", inputs=[clean])])
    expected, stored = _edge_sets(store)
    assert stored == expected
    assert len(stored) == 2  # raw -> clean and other -> clean; the reader made none
    times = sorted(row[3] for row in stored)
    assert times == ["2026-01-01T00:02:00.000000Z", "2026-01-01T00:03:00.000000Z"]


def test_edges_equal_the_runs_and_survive_a_rebuild(diamonds) -> None:  # type: ignore[no-untyped-def]
    expected, stored = _edge_sets(diamonds)
    assert stored == expected and stored
    rebuild_projections(diamonds.engine)  # new version ids on PostgreSQL: compare afresh
    rebuilt, stored = _edge_sets(diamonds)
    assert stored == rebuilt and len(rebuilt) == len(expected)
