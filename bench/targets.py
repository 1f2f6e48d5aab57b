"""What the query benchmark asks about, noted by the generator as it writes (not guessed after).

Model versions and as-of moments are reservoir samples (seeded, bounded) over everything the
generator produced; sources are every raw source; long histories are the datasets that got the
most versions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from bench.world import Domain, Node

SAMPLE = 1000  # the full run asks 3 x 200 (and a warm-up of 5) of each


@dataclass(frozen=True)
class ModelVersion:
    namespace: str
    name: str
    version: str
    depth: int


@dataclass(frozen=True)
class AsOf:
    """The model as it stood at `as_of`: `version` was then its latest version."""

    namespace: str
    name: str
    as_of: str
    version: str


@dataclass(frozen=True)
class DatasetRef:
    namespace: str
    name: str
    versions: int


@dataclass(frozen=True)
class Targets:
    model_versions: list[ModelVersion]
    sources: list[DatasetRef]
    long_history: list[DatasetRef]
    as_of: list[AsOf]


class Reservoir:
    """A uniform sample of at most `size` items from a stream (algorithm R)."""

    def __init__(self, rng: random.Random, size: int = SAMPLE) -> None:
        self.rng, self.size, self.seen, self.items = rng, size, 0, []

    def offer(self, item: object) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
            return
        slot = self.rng.randrange(self.seen)
        if slot < self.size:
            self.items[slot] = item


class TargetBook:
    def __init__(self, rng: random.Random) -> None:
        self.models = Reservoir(rng)
        self.moments = Reservoir(rng)
        self.written: dict[int, Node] = {}

    def wrote(self, node: Node) -> None:
        self.written[id(node)] = node

    def model_version(
        self, model: Node, version: str | None, depth: int, now: datetime, previous: str | None
    ) -> None:
        self.models.offer(ModelVersion(model.namespace, model.name, str(version), depth))
        if previous:
            # `now` is before this training run started and after the previous version existed.
            self.moment(model, now, previous)

    def moment(self, model: Node, when: datetime, version: str) -> None:
        """At `when`, `version` was the latest version of `model`."""
        moment = when.isoformat(timespec="microseconds")
        self.moments.offer(AsOf(model.namespace, model.name, moment, version))

    def targets(self, domains: list[Domain]) -> Targets:
        sources = [DatasetRef(s.namespace, s.name, s.versions) for d in domains for s in d.sources]
        ranked = sorted(self.written.values(), key=lambda n: (-n.versions, n.namespace, n.name))
        history = [DatasetRef(n.namespace, n.name, n.versions) for n in ranked[:100]]
        return Targets(list(self.models.items), sources, history, list(self.moments.items))
