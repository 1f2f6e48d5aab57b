"""Run the benchmark suite; write bench/results/*.json and the table in bench/README.md.

    .venv/bin/python bench/run.py --size small --db all        # what `make bench` runs
    .venv/bin/python bench/run.py --size full --db postgres --only queries

Sizes: small = 10k events, medium = 100k, full = 1M. One load per database serves the ingest,
storage, query and integrity figures (the last ingest repeat's store is kept); every size
ingests three times per database, the full size too, so its figure is a median as the others
are (`--ingest-repeats 1` loads once). The capture, app and peer scripts of the same
folder run afterwards when present, each writing its own results in the same format.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lineage.cli  # noqa: F401, I001 - first: no BLAS thread pool, as in `mlaudit` (its docstring)

from bench.common import DATABASES, RESULTS, Figure, Result
from bench.generator import RUN_ID_KINDS
from bench.http_ingest import http_figures
from bench.ingest import measured_load
from bench.integrity import integrity_figures
from bench.queries import query_figures
from bench.report import update_readme
from bench.single import single_figures
from bench.storage import storage_figures

HERE = Path(__file__).resolve().parent
LOADED = ("ingest", "storage", "queries", "integrity", "single")  # single last: it adds events
OWN = (*LOADED, "http")
SCRIPTS = {"capture": "capture_burst.py", "app": "app_trace.py", "peer": "peer_mlflow.py"}


@dataclass(frozen=True)
class Plan:
    events: int
    ingest_repeats: int
    http_events: int
    query_samples: int
    query_budget_s: float
    repeats: int = 3
    run_ids: str = "v7"


PLANS = {
    "small": Plan(10_000, 3, 1_000, 50, 30.0),
    "medium": Plan(100_000, 3, 3_000, 100, 60.0),
    "full": Plan(1_000_000, 3, 5_000, 200, 40.0),
}


def run_database(database: str, size: str, plan: Plan, only: set[str]) -> None:
    if only & set(LOADED):
        try:
            _loaded_figures(database, size, plan, only)
        except Exception:
            traceback.print_exc()
            print(f"[bench] loading {database} FAILED; continuing", flush=True)
    if "http" in only:
        http = lambda: http_figures(database, plan.http_events, plan.repeats)  # noqa: E731
        _guarded("http", database, size, http)


def _loaded_figures(database: str, size: str, plan: Plan, only: set[str]) -> None:
    repeats = plan.ingest_repeats if "ingest" in only else 1
    started = time.time()
    load = measured_load(database, plan.events, repeats, run_ids=plan.run_ids)
    with load as (ingest, loaded):
        engine = loaded.store.engine
        if "ingest" in only:
            _save("ingest", database, size, ingest, started)
        steps = {
            "storage": lambda: storage_figures(engine, loaded.events, loaded.json_bytes),
            "queries": lambda: query_figures(
                engine,
                loaded.targets,
                samples=plan.query_samples,
                repeats=plan.repeats,
                budget_s=plan.query_budget_s,
            ),
            "integrity": lambda: integrity_figures(
                loaded.store, loaded.events, repeats=plan.repeats
            ),
            "single": lambda: single_figures(loaded.store, repeats=plan.repeats),
        }
        for name, step in steps.items():
            if name in only:
                _guarded(name, database, size, step)


def _guarded(name: str, database: str, size: str, step: Callable[[], list[Figure]]) -> None:
    """One benchmark's figures; a failure is reported and the others still run."""
    started = time.time()
    print(f"[bench] {name} on {database} ({size})", flush=True)
    try:
        figures = step()
    except Exception:
        traceback.print_exc()
        print(f"[bench] {name} on {database} FAILED; continuing", flush=True)
        return
    _save(name, database, size, figures, started)


def _save(name: str, database: str, size: str, figures: list[Figure], started: float) -> None:
    result = Result(name, size, database)
    result.started = started
    result.add(*figures)
    result.save_and_show()


def run_scripts(size: str, only: set[str]) -> None:
    for name, script in SCRIPTS.items():
        path = HERE / script
        if name not in only or not path.exists():
            continue
        print(f"[bench] {name}: {path.name} --size {size}", flush=True)
        finished = subprocess.run([sys.executable, str(path), "--size", size], check=False)
        if finished.returncode != 0:
            print(f"[bench] {path.name} exited with {finished.returncode}; continuing", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(PLANS), default="small")
    parser.add_argument("--db", choices=[*DATABASES, "all"], default="all")
    names = [*OWN, *SCRIPTS]
    parser.add_argument("--only", choices=names, action="append", help="repeatable")
    parser.add_argument("--ingest-repeats", type=int, help="ingest repeats (default: 3)")
    parser.add_argument(
        "--run-ids",
        choices=RUN_ID_KINDS,
        default="v7",
        help="the loaded store's run ids: v7 as OpenLineage's clients make them, v4 random",
    )
    args = parser.parse_args(argv)
    # Stopped with SIGTERM (or SIGINT from a shell that ignores it for background jobs), the
    # run still drops the PostgreSQL databases it made: SystemExit unwinds the `finally` blocks.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda number, frame: sys.exit(128 + number))
    only = set(args.only or names)
    databases = list(DATABASES) if args.db == "all" else [args.db]
    started = time.time()
    plan = PLANS[args.size]
    if args.ingest_repeats:
        plan = replace(plan, ingest_repeats=args.ingest_repeats)
    plan = replace(plan, run_ids=args.run_ids)
    for database in databases:
        run_database(database, args.size, plan, only)
    run_scripts(args.size, only)
    _record_run(args.size, databases, sorted(only), started)
    update_readme()
    print(f"[bench] done in {(time.time() - started) / 60:.1f} min; table in bench/README.md")


def _record_run(size: str, databases: list[str], only: list[str], started: float) -> None:
    """The whole run's duration, when it ran all of this suite's own benchmarks."""
    if not set(OWN) <= set(only):
        return  # a partial run's duration says nothing about `make bench`
    RESULTS.mkdir(parents=True, exist_ok=True)
    scripts = sorted(name for name in SCRIPTS if name in only and (HERE / SCRIPTS[name]).exists())
    record = {
        "size": size,
        "databases": databases,
        "scripts": scripts,
        "started_at": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started, 1),
    }
    label = databases[0] if len(databases) == 1 else "all"
    path = RESULTS / f"run-{size}-{label}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
