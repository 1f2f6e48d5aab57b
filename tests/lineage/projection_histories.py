"""Random OpenLineage histories for the projection tests: few datasets, runs and times, so
versions, runs and equal times recur (what order independence has to get right)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

NAMESPACE = "test"
FACET = {"_producer": "https://test", "_schemaURL": "https://test/schema.json"}


def random_history(
    rng: random.Random, count: int, *, datasets: int = 5, runs: int = 8
) -> Iterator[dict[str, Any]]:
    sizes = {"datasets": datasets, "runs": runs}
    for _ in range(count):
        yield _static_event(rng, sizes) if rng.random() < 0.08 else _run_event(rng, sizes)


def _time(rng: random.Random) -> str:
    return f"2026-03-01T10:{rng.randrange(12):02d}:00Z"  # few distinct times: many ties


def _dataset(rng: random.Random, sizes: dict[str, int], *, output: bool = False) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    version = rng.choice([None, None, "v0", "v1", "v2", "v3"])
    if version:
        facets["version"] = {**FACET, "datasetVersion": version}
    if rng.random() < 0.2:
        facets["datasetType"] = {**FACET, "datasetType": rng.choice(["MODEL", "model", "TABLE"])}
    if output and rng.random() < 0.15:
        change = rng.choice(["DROP", "TRUNCATE", "drop", "OVERWRITE"])
        facets = {"lifecycleStateChange": {**FACET, "lifecycleStateChange": change}}
    if rng.random() < 0.1:
        facets["schema"] = {**FACET, "fields": [{"name": "a"}]}
    return {
        "namespace": NAMESPACE,
        "name": f"d{rng.randrange(sizes['datasets'])}",
        "facets": facets,
    }


def _run_facets(rng: random.Random) -> dict[str, Any]:
    facets: dict[str, Any] = {"note": {**FACET, "n": rng.randrange(100)}}
    if rng.random() < 0.7:
        name = rng.choice(["alice", "bob", "svc", ""])
        facets["mlaudit_actor"] = {**FACET, "name": name, "kind": rng.choice(["user", "service"])}
    if rng.random() < 0.3:
        facets["parent"] = {**FACET, "run": {"runId": _run_id(rng.randrange(3))}}
    model = {"namespace": NAMESPACE, "name": f"d{rng.randrange(2)}"}
    if rng.random() < 0.6:
        model["version"] = rng.choice(["v0", "v1", "v2"])
    if rng.random() < 0.12:
        facets["mlaudit_evaluation"] = {**FACET, "model": model, "metrics": {"acc": 0.5}}
    if rng.random() < 0.2:
        action = rng.choice(["deploy", "update", "rollback", "retire", None])
        facet = {**FACET, "model": model, "environment": rng.choice(["prod", "staging"])}
        facets["mlaudit_deployment"] = {**facet, **({"action": action} if action else {})}
    return facets


def _run_id(number: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"batch-test-run:{number}"))


def _run_event(rng: random.Random, sizes: dict[str, int]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventTime": _time(rng),
        "run": {"runId": _run_id(rng.randrange(sizes["runs"])), "facets": _run_facets(rng)},
        "job": {"namespace": NAMESPACE, "name": f"j{rng.randrange(4)}"},
        "inputs": [_dataset(rng, sizes) for _ in range(rng.randrange(3))],
        "outputs": [_dataset(rng, sizes, output=True) for _ in range(rng.randrange(3))],
    }
    kind = rng.choice(["START", "RUNNING", "COMPLETE", "COMPLETE", "FAIL", "ABORT", "OTHER", None])
    if kind:
        event["eventType"] = kind
    if rng.random() < 0.5:
        event["job"]["facets"] = {"jobType": {**FACET, "jobType": rng.choice(["ASSET", "JOB"])}}
    return event


def _static_event(rng: random.Random, sizes: dict[str, int]) -> dict[str, Any]:
    if rng.random() < 0.5:
        return {"eventTime": _time(rng), "dataset": _dataset(rng, sizes)}
    job = {"namespace": NAMESPACE, "name": f"j{rng.randrange(4)}"}
    return {"eventTime": _time(rng), "job": job, "inputs": [_dataset(rng, sizes)], "outputs": []}
