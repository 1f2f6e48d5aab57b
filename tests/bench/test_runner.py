"""The runner at a tiny size: every benchmark of the suite yields its figures for each database."""

from __future__ import annotations

import pytest

from bench import run
from bench.common import Figure


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
    assert [n.rsplit(", ", 1)[1] for n in names["single"]] == ["median", "p95"]
    assert all(f.value > 0 for figures in saved.values() for f in figures)


def test_the_sizes_are_those_of_the_issue() -> None:
    assert {k: p.events for k, p in run.PLANS.items()} == {
        "small": 10_000, "medium": 100_000, "full": 1_000_000
    }  # fmt: skip
    with pytest.raises(SystemExit):
        run.main(["--size", "huge"])
