"""What a downstream walk reached, as arrays, and the breadth-first walk over edge arrays.

The largest source of the generator's million-event world reaches 26,641 versions over 42,547
edges. Walked and summarised in Python dicts and tuples, that was most of an impact's time on
PostgreSQL (20-34 ms for the walk, 11-20 ms for the summaries: docs/PERFORMANCE.md, seventeenth
round); over numpy arrays the walk is a few vectorised steps per level and each summary one pass.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import numpy as np

IDS = np.int64


@dataclass(frozen=True)
class DatasetReach:
    """One affected dataset: how many of its versions are reached, the nearest depth, and the
    latest recorded one (the highest id: ids follow recording)."""

    versions: int
    nearest_depth: int
    latest_version: int


@dataclass(frozen=True)
class Reach:
    """The versions reached (the start's own excepted), each once with its depth and dataset,
    in breadth-first order: depths never decrease along the arrays."""

    versions: np.ndarray
    depths: np.ndarray
    datasets: np.ndarray

    @classmethod
    def of(cls, versions: Iterable[int], depths: Iterable[int], datasets: Iterable[int]) -> Reach:
        return cls(*(np.fromiter(values, dtype=IDS) for values in (versions, depths, datasets)))

    def __len__(self) -> int:
        return len(self.versions)

    def depth_by_version(self) -> dict[int, int]:
        return dict(zip(self.versions.tolist(), self.depths.tolist(), strict=True))

    def per_dataset(self) -> dict[int, DatasetReach]:
        """Every affected dataset's summary, from one sort of the arrays."""
        if not len(self):
            return {}
        order = np.argsort(self.datasets, kind="stable")  # stable: breadth-first within each
        grouped = self.datasets[order]
        starts = np.flatnonzero(np.concatenate(([True], grouped[1:] != grouped[:-1])))
        counts = np.diff(np.append(starts, len(grouped)))
        latest = np.maximum.reduceat(self.versions[order], starts)
        nearest = self.depths[order[starts]]  # a dataset's first version met is its nearest
        ids = grouped[starts]
        return {
            dataset: DatasetReach(count, depth, version)
            for dataset, count, depth, version in zip(
                ids.tolist(), counts.tolist(), nearest.tolist(), latest.tolist(), strict=True
            )
        }

    def of_datasets(self, datasets: Collection[int]) -> Reach:
        """The part of the reach in these datasets, in the same order."""
        keep = np.isin(self.datasets, np.fromiter(datasets, dtype=IDS, count=len(datasets)))
        return Reach(self.versions[keep], self.depths[keep], self.datasets[keep])

    def nearest(self, count: int) -> Reach:
        """The first `count` versions and every other one as near as the last of them."""
        if count >= len(self):
            return self
        if count <= 0:
            return Reach(*(values[:0] for values in (self.versions, self.depths, self.datasets)))
        end = int(np.searchsorted(self.depths, self.depths[count - 1], side="right"))
        return Reach(self.versions[:end], self.depths[:end], self.datasets[:end])


def breadth_first(
    own: Iterable[int],
    parents: np.ndarray,
    children: np.ndarray,
    child_datasets: np.ndarray,
    max_depth: int,
) -> Reach:
    """What `own` reaches over the edges (parents[i] -> children[i], in child_datasets[i]), each
    version at the first level that meets it, up to `max_depth`; edges from versions never
    reached are ignored. Within a level the versions are in id order."""
    order = np.argsort(parents, kind="stable")
    parents, children, child_datasets = parents[order], children[order], child_datasets[order]
    frontier = np.unique(np.fromiter(own, dtype=IDS))
    top = max(int(children.max(initial=0)), int(frontier.max(initial=0)))
    seen = np.zeros(top + 1, dtype=bool)
    seen[frontier] = True
    levels: list[tuple[np.ndarray, np.ndarray]] = []
    for _ in range(max_depth):
        edges = _leaving(parents, frontier)
        fresh = edges[~seen[children[edges]]]
        frontier, first = np.unique(children[fresh], return_index=True)
        if not len(frontier):
            break
        seen[frontier] = True
        levels.append((frontier, child_datasets[fresh[first]]))
    if not levels:
        return Reach.of((), (), ())
    depths = [np.full(len(level), depth, dtype=IDS) for depth, (level, _) in enumerate(levels, 1)]
    return Reach(
        np.concatenate([level for level, _ in levels]),
        np.concatenate(depths),
        np.concatenate([datasets for _, datasets in levels]),
    )


def _leaving(parents: np.ndarray, frontier: np.ndarray) -> np.ndarray:
    """The positions of the edges whose parent is in `frontier` (`parents` sorted)."""
    starts = np.searchsorted(parents, frontier, side="left")
    counts = np.searchsorted(parents, frontier, side="right") - starts
    total = int(counts.sum())
    # Each run of positions starts[i] .. starts[i] + counts[i], laid end to end.
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total, dtype=IDS)
