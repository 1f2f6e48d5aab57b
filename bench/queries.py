"""Figure 2: latency of the lineage questions, p50 and p95 over many seeded random targets.

The questions are the functions the CLI, the API and the app call (lineage.queries): trace a
model version to its sources, the impact of a raw source, a dataset's history, and a trace as
of a past moment. Targets come from the generator's bookkeeping. Each repeat draws its own
sample, targets never asked before first (the warm-up's included), so a repeat does not time
answers an earlier one left in the caches while the pool has others; the note says how many
were asked for the first time. The figure is the median over repeats of each repeat's
percentile.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from bench.common import Figure, figure, percentile
from bench.targets import Targets
from lineage.queries.history import dataset_history
from lineage.queries.impact import impact
from lineage.queries.trace import trace

TARGET_MS = 100.0
WARMUP = 5
MIN_SAMPLES = 20  # a p95 of fewer is little more than the slowest
BUDGET_S = 60.0  # per question and repeat

Question = Callable[[Engine, Any], Any]


def _trace(engine: Engine, model: Any) -> Any:
    return trace(engine, model.name, version=model.version, namespace=model.namespace)


def _impact(engine: Engine, source: Any) -> Any:
    return impact(engine, source.name, namespace=source.namespace)


def _history(engine: Engine, dataset: Any) -> Any:
    return dataset_history(engine, dataset.name, namespace=dataset.namespace)


def _as_of(engine: Engine, moment: Any) -> Any:
    found = trace(engine, moment.name, namespace=moment.namespace, as_of=moment.as_of)
    if found["model"]["version"] != moment.version:
        raise RuntimeError(
            f"as-of trace of {moment.name} at {moment.as_of} gave version "
            f"{found['model']['version']}, the generator had {moment.version}"
        )
    return found


def questions(targets: Targets) -> dict[str, tuple[Question, list[Any]]]:
    return {
        "trace model version": (_trace, targets.model_versions),
        "impact of a source": (_impact, targets.sources),
        "dataset history": (_history, targets.long_history),
        "as-of trace": (_as_of, targets.as_of),
    }


def latencies_ms(
    engine: Engine, ask: Question, sample: list[Any], budget_s: float = float("inf")
) -> list[float]:
    """Each target's latency; stops early (after MIN_SAMPLES) once `budget_s` is spent, so a
    slow question cannot hold the run for hours."""
    spent: list[float] = []
    for target in sample:
        began = time.perf_counter()
        ask(engine, target)
        spent.append((time.perf_counter() - began) * 1e3)
        if len(spent) >= MIN_SAMPLES and sum(spent) > budget_s * 1e3:
            break
    return spent


def draw(rng: random.Random, size: int, asked: set[int], count: int) -> list[int]:
    """`count` indexes into a pool of `size`: those not in `asked` first, in random order, then
    (the pool being smaller than the sample) random ones again."""
    fresh = [i for i in range(size) if i not in asked]
    rng.shuffle(fresh)
    chosen = fresh[:count]
    chosen.extend(rng.randrange(size) for _ in range(count - len(chosen)))
    return chosen


def query_figures(
    engine: Engine, targets: Targets, *, samples: int, repeats: int, budget_s: float = BUDGET_S
) -> list[Figure]:
    rng = random.Random(11)
    figures: list[Figure] = []
    for name, (ask, pool) in questions(targets).items():
        if not pool:
            raise RuntimeError(f"the generator noted no targets for {name!r}: too few events?")
        latencies_ms(engine, ask, pool[:WARMUP])
        asked = set(range(min(WARMUP, len(pool))))
        p50s, p95s, counts, firsts = [], [], [], []
        for _ in range(repeats):
            drawn = draw(rng, len(pool), asked, samples)
            spent = latencies_ms(engine, ask, [pool[i] for i in drawn], budget_s)
            before = len(asked)
            asked.update(drawn[: len(spent)])
            firsts.append(len(asked) - before)
            p50s.append(percentile(spent, 0.5))
            p95s.append(percentile(spent, 0.95))
            counts.append(len(spent))
        note = (
            f"{'/'.join(map(str, counts))} random targets per repeat"
            f" ({'/'.join(map(str, firsts))} asked for the first time;"
            f" {len(pool)} noted by the generator)"
        )
        figures.append(figure(f"{name} p50", p50s, "ms", ("<=", TARGET_MS), note))
        figures.append(figure(f"{name} p95", p95s, "ms", ("<=", TARGET_MS), note))
    return figures
