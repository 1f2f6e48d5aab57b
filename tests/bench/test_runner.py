"""The runner at a tiny size: every benchmark of the suite yields its figures for each database."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import run
from bench.app_trace import read_models
from bench.common import Figure
from bench.targets import ModelVersion
from lineage.store import AuditStore


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_every_benchmark_yields_figures(
    database: str, pg_reachable: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: dict[str, list[Figure]] = {}

    def keep(name: str, db: str, size: str, figures: list[Figure], started: float) -> None:
        assert (db, size) == (database, "tiny")
        saved[name] = figures

    monkeypatch.setattr(run, "_save", keep)
    plan = run.Plan(events=6000, ingest_repeats=1, http_events=60, query_samples=5,
                    query_budget_s=5.0, repeats=1)  # fmt: skip
    run.run_database(database, "tiny", plan, set(run.OWN))
    assert set(saved) == set(run.OWN)
    names = {name: [f.name for f in figures] for name, figures in saved.items()}
    assert "trace model version p95" in names["queries"]
    assert "as-of trace p95" in names["queries"]
    assert names["integrity"][0] == "verify whole log"
    assert names["integrity"][1:] == ["inclusion proof p95", "consistency proof p95"]
    assert names["http"] == ["ingest per HTTP request", "HTTP ingest / raw insert"]
    assert all(f.value > 0 for figures in saved.values() for f in figures)


def test_the_sizes_are_those_of_the_issue() -> None:
    assert {k: p.events for k, p in run.PLANS.items()} == {
        "small": 10_000, "medium": 100_000, "full": 1_000_000
    }  # fmt: skip
    with pytest.raises(SystemExit):
        run.main(["--size", "huge"])


@pytest.mark.slow
def test_the_app_script_is_given_the_loaded_sqlite_store(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, list[ModelVersion], int]] = []

    def record(name: str, size: str, *extra: str) -> None:
        url = extra[extra.index("--url") + 1]
        models = read_models(Path(extra[extra.index("--models-file") + 1]))
        entries = AuditStore.open(url).count_entries()
        calls.append((name, models, entries))

    monkeypatch.setattr(run, "_run_script", record)
    plan = run.Plan(events=6000, ingest_repeats=1, http_events=0, query_samples=1,
                    query_budget_s=1.0, repeats=1)  # fmt: skip
    done = run.run_database("sqlite", "tiny", plan, {"app"})
    assert done == {"app"}
    [(name, models, entries)] = calls
    assert (name, entries) == ("app", 6000)
    assert models and [m.depth for m in models] == sorted((m.depth for m in models), reverse=True)
    assert run.run_database("postgres", "tiny", plan, {"app"}) == set()
