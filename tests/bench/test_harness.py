"""The benchmark harness: figures and medians, result files, the README table, the runner."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sqlalchemy_event

from bench import raw_insert, report
from bench.common import Result, figure, fresh_database, percentile
from bench.ingest import measured_load
from bench.queries import draw
from bench.raw_insert import raw_insert_seconds
from bench.storage import bytes_on_disk
from lineage.append import LOG_COLUMNS
from lineage.checkpointer import WalCheckpointer
from lineage.db import create_store_engine


def test_figure_is_the_median_and_knows_if_it_met_its_target() -> None:
    fast = figure("ingest", [30.0, 10.0, 20.0], "events/s", (">=", 15))
    slow = figure("p95", [120.0, 80.0, 150.0], "ms", ("<=", 100))
    assert (fast.value, fast.met) == (20.0, True)
    assert (slow.value, slow.met) == (120.0, False)
    assert figure("ratio", [0.5], "ratio").met is None


def test_figure_refuses_no_runs_and_unknown_ops() -> None:
    with pytest.raises(ValueError, match="no runs"):
        figure("empty", [], "ms")
    with pytest.raises(ValueError, match="op"):
        figure("odd", [1.0], "ms", ("<", 2))


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 201)]
    assert percentile(values, 0.95) == 190.0
    assert percentile(values, 0.5) == 100.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_result_file_and_readme_table(tmp_path: Path) -> None:
    result = Result("queries", "small", "sqlite")
    result.add(figure("trace p95", [12.0, 15.0, 11.0], "ms", ("<=", 100), "50 targets"))
    path = result.save(tmp_path)
    document = json.loads(path.read_text())
    assert path.name == "queries-sqlite-small.json"
    assert set(document) == {
        "benchmark", "size", "database", "machine", "started_at", "duration_s", "figures"
    }  # fmt: skip
    assert document["figures"][0]["met"] is True
    assert document["machine"]["cores"] >= 1
    assert document["machine"]["reference_ms"] > 0
    readme = tmp_path / "README.md"
    readme.write_text(f"# Bench\n\n{report.START}\nold\n{report.END}\n\nafter\n")
    report.update_readme(readme, tmp_path)
    text = readme.read_text()
    assert "old" not in text and text.endswith("after\n")
    assert "| small | queries | sqlite | trace p95 | 12 | ms | ≤ 100 | yes | 3 |" in text
    machine = document["machine"]
    conditions = f"load {machine['load_average']}, reference {machine['reference_ms']} ms"
    assert f"small queries sqlite ({conditions})" in text


def test_a_run_shows_the_median_reference_time_of_the_results_it_wrote(tmp_path: Path) -> None:
    times = {"ingest": 30.0, "queries": 50.0, "integrity": 40.0, "storage": 90.0}
    for benchmark, reference in times.items():
        result = Result(benchmark, "small", "sqlite")
        result.add(figure("a figure", [1.0], "ms"))
        path = result.save(tmp_path)
        document = json.loads(path.read_text())
        document["machine"]["reference_ms"] = reference
        if benchmark == "storage":  # written by an earlier run: not this one's
            document["started_at"] = "2026-01-01T00:00:00+00:00"
        path.write_text(json.dumps(document))
    started = json.loads((tmp_path / "ingest-sqlite-small.json").read_text())["started_at"]
    run = {"size": "small", "databases": ["sqlite"], "scripts": [], "started_at": started}
    (tmp_path / "run-small-sqlite.json").write_text(json.dumps({**run, "duration_s": 60}))
    assert "| 1.0 min | 40.0 ms (3 results) |" in report.durations(tmp_path)


def test_readme_without_markers_is_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        report.update_readme(readme, tmp_path)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_load_keeps_the_last_store_and_measures_it(database: str, pg_reachable: None) -> None:
    with measured_load(database, 1200, 2) as (figures, loaded):
        assert loaded.store.count_entries() == 1200
        assert [f.name for f in figures][:2] == ["ingest batch", "raw insert of the same rows"]
        assert all(len(f.runs) == 2 and f.value > 0 for f in figures)
        stored = bytes_on_disk(loaded.store.engine)
        assert stored > loaded.json_bytes > 0
        assert raw_insert_seconds(loaded.store.engine, 1, 1200) > 0
        # The raw table is dropped: its space is not counted as the store's.
        assert bytes_on_disk(loaded.store.engine) < stored * 1.05
        with pytest.raises(ValueError, match="empty range"):
            raw_insert_seconds(loaded.store.engine, 5, 4)


def test_raw_insert_on_sqlite_commits_once_a_page_and_checkpoints_aside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The floor is the bare insert in the store's own transactions, not a commit per row
    (the store's SQLite connections run in autocommit and issue their own BEGIN), with the
    store's background checkpoints, not a timed COMMIT copying the log."""
    checkpointers: list[WalCheckpointer] = []

    class Seen(WalCheckpointer):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            checkpointers.append(self)

    monkeypatch.setattr(raw_insert, "WalCheckpointer", Seen)
    with measured_load("sqlite", 1200, 1) as (_figures, loaded):
        engine = create_store_engine(str(loaded.store.engine.url))
        statements: list[str] = []
        sqlalchemy_event.listen(
            engine, "connect", lambda conn, _r: conn.set_trace_callback(statements.append)
        )
        checkpointers.clear()  # the load's own floor had one too
        assert raw_insert_seconds(engine, 1, 1200, page=500) > 0
        engine.dispose()
    commits = [s for s in statements if s.upper().startswith(("BEGIN", "COMMIT"))]
    inserts = [s for s in statements if s.startswith("INSERT INTO bench_raw_log")]
    assert len(inserts) == 1200
    assert commits == ["BEGIN", "COMMIT"] * 3
    assert [c.runs > 0 and not c.running for c in checkpointers] == [True]


def test_raw_table_on_postgres_has_the_log_columns_compression_and_no_index(
    pg_reachable: None,
) -> None:
    with (
        measured_load("postgres", 10, 1) as (_figures, loaded),
        loaded.store.engine.begin() as conn,
    ):
        conn.exec_driver_sql(raw_insert.POSTGRES_TABLE)
        compression = dict(
            conn.exec_driver_sql(
                "SELECT attname, attcompression FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (raw_insert.TABLE,),
            ).all()
        )
        indexes = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", (raw_insert.TABLE,)
        ).scalar_one()
        conn.exec_driver_sql(f"DROP TABLE {raw_insert.TABLE}")
    assert set(compression) == set(LOG_COLUMNS)
    assert (compression["payload"], indexes) == ("l", 0)


def test_unknown_database_is_named() -> None:
    with pytest.raises(ValueError, match="mysql"), fresh_database("mysql"):
        pass


def test_query_samples_take_targets_never_asked_first() -> None:
    rng = random.Random(3)
    asked = {0, 1}
    first = draw(rng, 10, asked, 5)
    asked.update(first)
    second = draw(rng, 10, asked, 5)
    assert set(first) | set(second) | {0, 1} == set(range(10))
    assert len(set(first)) == 5 and len(second) == 5
    assert set(second[:3]) == set(range(10)) - asked  # the three left, then repeats
    assert all(0 <= i < 10 for i in second)
