"""A fixed piece of CPU work, timed whenever a result is written: the machine's speed then.

This machine kind's speed drifts by the hour on code nothing touched (docs/PERFORMANCE.md: the
whole 1M suite took 25.7 minutes in one hour and 32.5 in another, and MLflow's own tracking run,
which mlaudit does not touch, 22.6 ms against 35.3). Each result file records the time of the
same work, so two runs' figures can be told apart by the code or by the machine: the work is
the store's kind (canonical JSON of an event, SHA-256 of it) on one core, and it never changes
with the code under test.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from typing import Any

ROUNDS = 1000  # events encoded and hashed per timing (35-70 ms on the benchmark machine)
REPEATS = 5  # timings; the median is kept


def reference_ms() -> float:
    """Milliseconds for ROUNDS canonical encodings and hashes of one fixed event (median)."""
    event = _event()
    timings = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        for round_ in range(ROUNDS):
            event["run"]["runId"] = f"{round_:032x}"
            text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            hashlib.sha256(text.encode()).digest()
        timings.append(time.perf_counter() - began)
    return round(statistics.median(timings) * 1000, 1)


def _event() -> dict[str, Any]:
    """An OpenLineage-shaped event of about 1.5 KB, written out here so it never changes."""
    fields = [{"name": f"feature_{i}", "type": "double"} for i in range(8)]
    inputs = [
        {"namespace": f"s3://lake-{k}", "name": f"warehouse.table_{k}",
         "facets": {"schema": {"fields": fields}, "version": {"datasetVersion": f"v{k}"}}}
        for k in range(3)
    ]  # fmt: skip
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-01-01T00:00:00.000000Z",
        "producer": "https://example.org/reference",
        "run": {"runId": "", "facets": {"parameters": {"depth": 6, "rate": 0.05}}},
        "job": {"namespace": "reference", "name": "train"},
        "inputs": inputs,
        "outputs": [{"namespace": "models", "name": "reference_model"}],
    }
