"""Shared helpers for the lineage tests: the OpenLineage sample events, a valid base event, and
SQLite stores with the preparing worker (ready) or without it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chunk_checks import WORKER_READY_S

from lineage import prepare_slot
from lineage.settings import Settings
from lineage.store import AuditStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openlineage"
# Not events: placeholders ({{...}}), or subsets that integration tests match against.
NOT_EVENTS = ("templates", "partial")


def _relative(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def _sample_paths(kind: str) -> list[str]:
    """'literal': complete events as producers sent them; 'invalid': upstream negative tests."""
    paths = sorted(FIXTURES.rglob("*.json"))
    invalid = [_relative(p) for p in paths if p.relative_to(FIXTURES).parts[0] == "invalid"]
    if kind == "invalid":
        return invalid
    return [
        _relative(p)
        for p in paths
        if _relative(p) not in invalid and not set(NOT_EVENTS) & set(p.relative_to(FIXTURES).parts)
    ]


def _load_sample(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def load_sample():
    """Parsed sample file by its path under tests/fixtures/openlineage/."""
    return _load_sample


@pytest.fixture
def sample_paths():
    """sample_paths(kind): sample files of one kind, as paths under tests/fixtures/openlineage/."""
    return _sample_paths


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture, kind in (("literal_sample", "literal"), ("invalid_sample", "invalid")):
        if fixture in metafunc.fixturenames:
            metafunc.parametrize(fixture, _sample_paths(kind))


BASE_EVENT: dict[str, Any] = {
    "eventType": "COMPLETE",
    "eventTime": "2024-05-01T12:00:00.123456Z",
    "producer": "https://github.com/mlaudit/mlaudit",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {
        "runId": "0190e8a4-7c1f-7a55-8a3e-1a2b3c4d5e6f",
        "facets": {
            "nominalTime": {
                "_producer": "https://github.com/mlaudit/mlaudit",
                "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
                "nominalStartTime": "2024-05-01T11:00:00Z",
            },
        },
    },
    "job": {"namespace": "dagster", "name": "train_model"},
    "inputs": [{"namespace": "file", "name": "/data/train.parquet", "facets": {}}],
    "outputs": [{"namespace": "dagster", "name": "model", "facets": {}, "outputFacets": {}}],
}


@pytest.fixture
def base_event() -> dict[str, Any]:
    """A valid 2-0-2 RunEvent, a fresh copy per test."""
    return copy.deepcopy(BASE_EVENT)


def _facet(schema_url: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": "https://github.com/mlaudit/mlaudit", "_schemaURL": schema_url, **fields}


@pytest.fixture
def make_facet():
    """make_facet(schema_url, **fields): a facet with this project's `_producer`."""
    return _facet


@pytest.fixture
def delivered(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many results the child delivered."""
    counts = {"results": 0}
    result = prepare_slot.WorkerJob.result

    def counted(self: prepare_slot.WorkerJob, index: int) -> Any:
        found = result(self, index)
        counts["results"] += found is not None
        return found

    monkeypatch.setattr(prepare_slot.WorkerJob, "result", counted)
    return counts


@pytest.fixture
def open_store(tmp_path: Any) -> Iterator[Callable[..., AuditStore]]:
    """SQLite stores in this test's directory, with the worker (ready) or without it."""
    opened: list[AuditStore] = []

    def make(name: str, *, worker: bool = True) -> AuditStore:
        base = Settings.from_env()
        url = f"sqlite:///{tmp_path / name}"
        settings = Settings(base.home, url, base.keys_dir, prepare_worker=worker)
        store = AuditStore.open(url, settings=settings)
        opened.append(store)
        assert store.preparing.start(wait=WORKER_READY_S if worker else 0) is worker
        return store

    yield make
    for store in opened:
        store.close()
