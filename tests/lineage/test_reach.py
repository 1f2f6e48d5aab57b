"""The array walk answers what a plain breadth-first search answers, on graphs with cycles,
self-loops, repeated edges and starts that reach nothing; and its summaries count right."""

from __future__ import annotations

import random

import numpy as np
import pytest

from lineage.queries.reach import IDS, Reach, breadth_first


def _plain(own: list[int], edges: list[tuple[int, int, int]], max_depth: int) -> dict:
    """version -> (depth, dataset): each version at the first level that meets it."""
    seen, found, level = set(own), {}, list(own)
    for depth in range(1, max_depth + 1):
        following = [(c, d) for p, c, d in edges if p in level]
        level = []
        for child, dataset in following:
            if child not in seen:
                seen.add(child)
                level.append(child)
                found[child] = (depth, dataset)
    return found


def _walk(own: list[int], edges: list[tuple[int, int, int]], max_depth: int) -> Reach:
    columns = [np.array([e[i] for e in edges], dtype=IDS) for i in range(3)]
    return breadth_first(own, *columns, max_depth=max_depth)


@pytest.mark.parametrize("seed", range(30))
def test_the_walk_is_a_plain_breadth_first_search(seed: int) -> None:
    rng = random.Random(seed)
    versions = rng.randint(1, 60)
    dataset_of = {v: v % 7 for v in range(1, versions + 1)}
    edges = []
    for _ in range(rng.randint(0, 150)):  # cycles, self-loops and repeats all allowed
        parent, child = rng.randint(1, versions), rng.randint(1, versions)
        edges.append((parent, child, dataset_of[child]))
    own = rng.sample(range(1, versions + 1), k=rng.randint(0, min(3, versions)))
    max_depth = rng.choice([1, 2, 5, 200])
    reach = _walk(own, edges, max_depth)
    expected = _plain(own, edges, max_depth)
    pairs = zip(reach.depths.tolist(), reach.datasets.tolist(), strict=True)
    got = dict(zip(reach.versions.tolist(), pairs, strict=True))
    assert got == expected
    assert len(reach) == len(expected)  # each version once
    assert reach.depths.tolist() == sorted(reach.depths.tolist())  # breadth-first order


def test_no_edges_and_no_start_reach_nothing() -> None:
    assert len(_walk([], [], 200)) == 0
    assert len(_walk([1, 2], [], 200)) == 0
    assert len(_walk([], [(1, 2, 0)], 200)) == 0
    assert Reach.of((), (), ()).per_dataset() == {}


def test_a_chain_longer_than_the_cap_stops_at_the_cap() -> None:
    chain = [(v, v + 1, 0) for v in range(1, 300)]
    reach = _walk([1], chain, 200)
    assert reach.versions.tolist() == list(range(2, 202))
    assert reach.depths.max() == 200


def test_per_dataset_counts_nearest_and_latest() -> None:
    reach = Reach.of([5, 9, 3, 12, 7], [1, 1, 2, 3, 3], [10, 20, 10, 20, 10])
    summary = reach.per_dataset()
    assert {d: (s.versions, s.nearest_depth, s.latest_version) for d, s in summary.items()} == {
        10: (3, 1, 7),
        20: (2, 1, 12),
    }


def test_nearest_keeps_every_version_as_near_as_the_last_wanted() -> None:
    reach = Reach.of([1, 2, 3, 4, 5, 6], [1, 1, 2, 2, 2, 3], [0] * 6)
    assert reach.nearest(0).versions.tolist() == []
    assert reach.nearest(1).versions.tolist() == [1, 2]
    assert reach.nearest(3).versions.tolist() == [1, 2, 3, 4, 5]
    assert reach.nearest(6).versions.tolist() == [1, 2, 3, 4, 5, 6]
    assert reach.nearest(99).versions.tolist() == [1, 2, 3, 4, 5, 6]
    assert reach.of_datasets([1]).versions.tolist() == []
