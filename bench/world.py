"""The simulated ML organisation the benchmark generator draws its lineage from.

Each domain (churn, fraud, ...) has raw sources, a layered feature pipeline at least 30 layers
deep where every dataset reads one to three datasets of the layer below (fan-in; a dataset read by
several is fan-out), now and then a dataset further down or in another domain, models trained on
the top layers, and a holdout set the evaluations read. People and services number in thousands
at the large sizes. Everything is drawn from one seeded `random.Random`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

DOMAINS = (
    "churn", "fraud", "ranking", "pricing", "forecast", "search", "ads", "risk", "credit",
    "supply", "support", "growth", "payments", "catalog", "logistics", "identity",
)  # fmt: skip
STAGES = (
    "clean", "dedup", "join", "enrich", "window", "aggregate", "encode", "impute", "normalise",
    "bucket", "embed", "filter", "sessionise", "label", "sample",
)  # fmt: skip
FIRST = (
    "ada", "alan", "grace", "edsger", "barbara", "ken", "margaret", "donald", "frances", "john",
    "radia", "tim", "sophie", "linus", "katherine", "dennis", "hedy", "niklaus", "annie", "claude",
)  # fmt: skip
LAST = (
    "lovelace", "turing", "hopper", "dijkstra", "liskov", "thompson", "hamilton", "knuth", "allen",
    "backus", "perlman", "berners", "wilson", "torvalds", "johnson", "ritchie", "lamarr", "wirth",
)  # fmt: skip
ALGORITHMS = ("xgboost", "random_forest", "logistic_regression", "lightgbm", "mlp")
MIN_LAYERS = 34


@dataclass(eq=False)
class Node:
    """A dataset (or model) of the simulated world and the versions it has had so far."""

    namespace: str
    name: str
    layer: int
    inputs: list[Node] = field(default_factory=list)
    kind: str = "DATASET"
    versions: int = 0
    current: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(eq=False)
class Domain:
    name: str
    sources: list[Node]
    layers: list[list[Node]]
    models: list[Node]
    holdout: Node
    schedule: str

    def nodes(self) -> list[Node]:
        return [*self.sources, *(n for layer in self.layers for n in layer), *self.models]


def depth_of(node: Node, known: dict[int, int]) -> int:
    """Hops from `node` down to its deepest raw source (`known` memoises: the graph fans in)."""
    if id(node) not in known:
        known[id(node)] = 1 + max((depth_of(i, known) for i in node.inputs), default=-1)
    return known[id(node)]


def domain_name(index: int) -> str:
    base = DOMAINS[index % len(DOMAINS)]
    return base if index < len(DOMAINS) else f"{base}{index // len(DOMAINS) + 1}"


def _fields(rng: random.Random) -> tuple[str, ...]:
    return tuple(f"{rng.choice(STAGES)}_{i}" for i in range(rng.randint(4, 12)))


def build_domain(rng: random.Random, index: int, others: list[Domain]) -> Domain:
    name = domain_name(index)
    lake, warehouse = f"s3://lake-{name}", f"warehouse.{name}"
    sources = [
        Node(lake, f"raw/{name}_{kind}", 0, fields=_fields(rng))
        for kind in rng.sample(("events", "accounts", "transactions", "clicks", "labels"), 3)
    ]
    layers: list[list[Node]] = []
    below: list[Node] = sources
    for layer in range(1, MIN_LAYERS + rng.randint(2, 6)):
        nodes = []
        for slot in range(rng.randint(1, 3)):
            stage = rng.choice(STAGES)
            node = Node(
                warehouse, f"features/l{layer:02d}_{stage}_{slot}", layer, fields=_fields(rng)
            )
            node.inputs = rng.sample(below, min(len(below), rng.randint(1, 3)))
            _extra_input(rng, node, sources, layers, others)
            nodes.append(node)
        layers.append(nodes)
        below = nodes
    top = [n for layer in layers[-2:] for n in layer]
    models = [
        Node(f"models.{name}", f"{name}_{purpose}", len(layers) + 1, kind="MODEL")
        for purpose in rng.sample(("classifier", "ranker", "scorer", "forecaster"), 2)
    ]
    for model in models:
        model.inputs = rng.sample(top, min(len(top), rng.randint(1, 3)))
    holdout = Node(warehouse, f"eval/{name}_holdout", 1, fields=_fields(rng))
    holdout.inputs = [sources[0]]
    return Domain(name, sources, layers, models, holdout, f"{name}_daily")


def _extra_input(
    rng: random.Random, node: Node, sources: list[Node], layers: list[list[Node]], others: list
) -> None:
    """A skip connection: a raw source near the bottom, a layer two or three below, or (rarely)
    another domain's features. Skips stay short so that chains keep their depth."""
    roll = rng.random()
    if roll < 0.05 and len(layers) < 3:
        extra = rng.choice(sources)
    elif roll < 0.08 and len(layers) >= 3:
        extra = rng.choice(layers[-rng.randint(2, 3)])
    elif roll < 0.1 and others:
        other = rng.choice(others)
        extra = rng.choice(other.layers[rng.randrange(len(other.layers) // 2)])
    else:
        return
    if extra not in node.inputs:
        node.inputs.append(extra)


def people(rng: random.Random, count: int) -> list[str]:
    """`count` distinct user names like `grace.hopper17`."""
    names: set[str] = set()
    while len(names) < count:
        names.add(f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randint(1, 999)}")
    return sorted(names)
