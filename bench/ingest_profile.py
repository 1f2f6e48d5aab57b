"""Measure `AuditStore.ingest` throughput on SQLite and PostgreSQL, batched and one per call.

    .venv/bin/python bench/ingest_profile.py                      # everything, default sizes
    .venv/bin/python bench/ingest_profile.py --db sqlite --mode batch --events 20000
    .venv/bin/python bench/ingest_profile.py --db sqlite --mode single --profile
    .venv/bin/python bench/ingest_profile.py --workload generator --events 20000 --profile

Each run starts from an empty store (a temporary SQLite file, a fresh PostgreSQL database that is
dropped afterwards) with its own temporary keys. The events are the same every time
(`demo_events`, or with `--workload generator` the benchmark suite's `LineageGenerator`), so
figures are comparable between commits. `--profile` prints the top functions
of the measured part (cProfile, by own time), `--stages` the cost of preparing alone.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo_events import demo_events

from bench.common import fresh_database
from bench.generator import RUN_ID_KINDS, LineageGenerator
from lineage.canonical import canonical_text
from lineage.prepare import prepare_batch
from lineage.store import AuditStore


def measure(db: str, mode: str, events: list[str], batch: int, profile: bool) -> float:
    """Events per second of ingesting `events` (JSON texts) into an empty store.

    Each call's events are parsed just before it, untimed: the store receives dicts, as from the
    HTTP API or the Dagster transport, and the process holds one batch of them at a time (a heap
    of all events would make every garbage collection pass slower than in a real ingest).
    """
    with fresh_database(db) as url, tempfile.TemporaryDirectory() as keys:
        os.environ["MLAUDIT_KEYS_DIR"] = keys
        store = AuditStore.open(url)
        store.ingest([json.loads(events[0])])  # keys, pseudonymizer, pool: set up untimed
        size = batch if mode == "batch" else 1
        profiler = cProfile.Profile() if profile else None
        elapsed = cpu = 0.0
        for start in range(1, len(events), size):
            chunk = [json.loads(item) for item in events[start : start + size]]
            started, cpu_started = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            store.ingest(chunk)
            if profiler:
                profiler.disable()
            elapsed += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
        stored = store.count_entries()
        store.close()
    if stored != len(events):
        raise SystemExit(f"{db}/{mode}: stored {stored} of {len(events)} events")
    count = len(events) - 1
    # Wall against this process's CPU: on PostgreSQL the rest is waiting for the server.
    wall_us, cpu_us = elapsed / count * 1e6, cpu / count * 1e6
    print(f"{db} {mode}: {wall_us:.0f} us an event, {cpu_us:.0f} of them this process's CPU")
    if profiler:
        print(f"--- profile {db} {mode} (top 25 by own time) ---")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return (len(events) - 1) / elapsed


def stages(events: list[dict]) -> None:
    """Throughput of the CPU-only steps, so the database's share is visible."""
    with tempfile.TemporaryDirectory() as keys:
        os.environ["MLAUDIT_KEYS_DIR"] = keys
        store = AuditStore.open("sqlite://", run_migrations=False)
        started = time.perf_counter()
        prepared, _ = prepare_batch(events, privacy=store.pseudonymizer)
        prepare_rate = len(events) / (time.perf_counter() - started)
        started = time.perf_counter()
        for item in prepared:
            canonical_text(item.event)
        canonical_rate = len(events) / (time.perf_counter() - started)
    print(
        f"prepare (parse, normalise, validate, pseudonymize, canonicalise): {prepare_rate:,.0f}/s"
    )
    print(f"canonicalisation alone: {canonical_rate:,.0f}/s")


def workload_events(workload: str, count: int, run_ids: str = "v7") -> list[dict]:
    """`demo`: the demo-like passes; `generator`: the benchmark suite's lineage (same seed)."""
    if workload == "demo":
        return demo_events(count)
    return list(LineageGenerator(count, run_ids=run_ids).events())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--mode", choices=["batch", "single", "both"], default="both")
    parser.add_argument("--events", type=int, default=10_000, help="events for batch mode")
    parser.add_argument("--single-events", type=int, default=2_000, help="events for single mode")
    parser.add_argument("--batch", type=int, default=1000, help="events per ingest call")
    parser.add_argument("--workload", choices=["demo", "generator"], default="demo")
    parser.add_argument("--run-ids", choices=RUN_ID_KINDS, default="v7", help="generator's")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured part")
    parser.add_argument("--stages", action="store_true", help="also time preparing alone")
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    modes = ["batch", "single"] if args.mode == "both" else [args.mode]
    if args.stages:
        stages(workload_events(args.workload, 2000))
    for db in dbs:
        for mode in modes:
            count = args.events if mode == "batch" else args.single_events
            generated = workload_events(args.workload, count, args.run_ids)
            texts = [json.dumps(event) for event in generated]
            rate = measure(db, mode, texts, args.batch, args.profile)
            label = f"{args.batch} per call" if mode == "batch" else "1 per call"
            print(f"{db:8} {mode:6} ({label}, {count} events): {rate:,.0f} events/s", flush=True)


if __name__ == "__main__":
    main()
