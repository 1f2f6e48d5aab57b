"""Figure 1 (one event per call, into the loaded store): `AuditStore.ingest` of a single event.

The HTTP and peer figures ingest into fresh databases, so a per-append cost that grows with the
log does not show in them: one did (every PostgreSQL append sorted the whole log, 27 ms an event
at 40,000 entries; docs/PERFORMANCE.md, seventh round). Here events of another seed of the
generator go into the store the batch ingest loaded, one call each, last of the loaded steps
(storage, queries and integrity measure the store as loaded). There is no target of its own:
the per-request HTTP target (1,500 events/s through group commit) is the nearest.
"""

from __future__ import annotations

import time

from bench.common import Figure, figure, percentile
from bench.generator import LineageGenerator
from lineage.store import AuditStore

EVENTS = 300
SEED = 29  # not the loaded events' seed: new runs, new versions, nothing already stored


def single_figures(store: AuditStore, events: int = EVENTS, repeats: int = 3) -> list[Figure]:
    generated = list(LineageGenerator(events * repeats, seed=SEED).events())
    before = store.count_entries()
    medians, p95s = [], []
    for repeat in range(repeats):
        spent = []
        for event in generated[repeat * events : (repeat + 1) * events]:
            began = time.perf_counter()
            store.ingest([event])
            spent.append((time.perf_counter() - began) * 1e3)
        medians.append(percentile(spent, 0.5))
        p95s.append(percentile(spent, 0.95))
    if store.count_entries() != before + len(generated):
        raise RuntimeError("some single events were not stored")
    note = f"{events} events per repeat, one per call, into the store at {before:,} entries"
    return [
        figure("one event per call into the loaded store, median", medians, "ms", None, note),
        figure("one event per call into the loaded store, p95", p95s, "ms", None, note),
    ]
