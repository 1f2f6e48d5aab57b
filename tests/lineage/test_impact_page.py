"""Impact's page and summaries, against a plain sort of every affected version."""

from __future__ import annotations

import random

import pytest

from lineage.queries.impact import _page, _summaries
from lineage.queries.reach import Reach


def _world(seed: int) -> tuple[dict[int, tuple[int, int]], dict[int, dict]]:
    """version id -> (depth, dataset id) in breadth-first order, and the datasets' rows."""
    rng = random.Random(seed)
    datasets = {
        d: {"namespace": f"ns{d % 3}", "name": f"d{rng.randrange(50)}-{d}", "kind": kind,
            "deleted_at": None}
        for d in range(1, 12)
        for kind in [rng.choice(["DATASET", "MODEL"])]
    }  # fmt: skip
    entries = [
        (rng.randrange(1, 7), rng.randrange(1, 12), vid) for vid in rng.sample(range(1, 500), 120)
    ]
    entries.sort(key=lambda e: e[0])  # the walk's breadth-first order: nondecreasing depth
    return {vid: (depth, d) for depth, d, vid in entries}, datasets


def _expected(reached, datasets, kind, offset, limit):
    rows = [
        (depth, datasets[d]["namespace"], datasets[d]["name"], -vid)
        for vid, (depth, d) in reached.items()
        if kind is None or (datasets[d]["kind"] == "MODEL") == (kind == "MODEL")
    ]
    rows.sort()
    return [-row[3] for row in rows[offset : offset + limit]], len(rows)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("kind", [None, "MODEL", "DATASET"])
def test_every_page_is_the_plain_sort_s_slice(seed: int, kind: str | None) -> None:
    reached, datasets = _world(seed)
    for offset in (0, 1, 7, 50, 119, 130):
        for limit in (1, 3, 50, 200):
            page, total = _page(_reach(reached), datasets, kind, offset, limit)
            assert (list(page), total) == _expected(reached, datasets, kind, offset, limit)
            assert all(page[vid] == reached[vid][0] for vid in page)


@pytest.mark.parametrize("seed", range(5))
def test_summaries_count_nearest_and_latest(seed: int) -> None:
    reached, datasets = _world(seed)
    affected = _reach(reached).per_dataset()
    summaries = {(s["namespace"], s["name"]): s for s in _summaries(affected, datasets)}
    depths = [s["nearest_depth"] for s in summaries.values()]
    assert depths == sorted(depths)
    for dataset_id, row in datasets.items():
        mine = {vid: depth for vid, (depth, d) in reached.items() if d == dataset_id}
        if not mine:
            assert (row["namespace"], row["name"]) not in summaries
            continue
        s = summaries[(row["namespace"], row["name"])]
        latest = affected[dataset_id].latest_version
        assert (s["versions"], s["nearest_depth"], latest) == (
            len(mine),
            min(mine.values()),
            max(mine),
        )


def _reach(reached: dict[int, tuple[int, int]]) -> Reach:
    return Reach.of(reached, (d for d, _ in reached.values()), (d for _, d in reached.values()))
