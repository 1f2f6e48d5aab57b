"""Capture figure: a burst of materializations in Dagster, captured by the real sensor.

    .venv/bin/python bench/capture_burst.py [--size small|medium|full] [--db sqlite|postgres]

`dagster-daemon` runs the code location of `workspace.yaml` (its capture sensor RUNNING by
default) against a fresh instance and a fresh audit store, as `mlaudit up` does. This process
then materializes a source and, in runs of WIDTH assets derived from it, the burst (small 1,000,
medium 5,000, full 10,000 materializations). Lag of one materialization = the store's
`received_at` of its audit event minus Dagster's timestamp of the event (one clock); the event
is queryable once that transaction commits, milliseconds later. Completeness = burst
materializations with an audit event, and with the source named among the event's inputs.

The burst starts once the capture is live: a first materialization of the source, made before
it, has reached the store. Until then the daemon is still starting (loading the code location,
first sensor tick), which is not the lag of a running capture; the note gives that time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dagster import DagsterEventType, DagsterInstance, EventRecordsFilter, materialize
from sqlalchemy import text

from audit_pipelines.instance import instance_yaml
from bench.burst_assets import SOURCE, burst_definitions, burst_source
from bench.common import ROOT, Result, figure, fresh_database, percentile
from lineage.store import AuditStore

SIZES = {"small": 1_000, "medium": 5_000, "full": 10_000}
WIDTH = 500  # materializations per Dagster run
TARGET_MEDIAN_S = 5.0
WAIT_S = 900  # for the capture to finish after the burst
# Dagster logs every event to the console at DEBUG: a burst would spend its time printing.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@contextmanager
def daemon(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """`dagster-daemon run` on the project's workspace, stopped on exit."""
    command = [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def captured(store: AuditStore) -> dict[int, tuple[str, list[str]]]:
    """Dagster storage id -> (received_at, input dataset names) of captured materializations."""
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT received_at, payload FROM audit_log")).all()
    found: dict[int, tuple[str, list[str]]] = {}
    for received_at, payload in rows:
        event = json.loads(payload)
        dagster = event["run"].get("facets", {}).get("mlaudit_dagster", {})
        if dagster.get("eventType") == "ASSET_MATERIALIZATION":
            inputs = [d["name"] for d in event.get("inputs", [])]
            found[dagster["storageId"]] = (received_at, inputs)
    return found


def burst_records(instance: DagsterInstance) -> dict[int, float]:
    """Storage id -> Dagster timestamp of every burst materialization (not the source's)."""
    records_filter = EventRecordsFilter(event_type=DagsterEventType.ASSET_MATERIALIZATION)
    records = instance.event_log_storage.get_event_records(records_filter, ascending=True)
    return {
        r.storage_id: r.timestamp
        for r in records
        if r.asset_key is not None and r.asset_key.to_user_string() != SOURCE
    }


def wait_for(store: AuditStore, wanted: set[int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not wanted <= set(captured(store)):
        time.sleep(2)


def warm_up(instance: DagsterInstance, store: AuditStore) -> float:
    """Materialize the source and wait until its audit event is stored; the seconds it took."""
    started = time.monotonic()
    materialize([burst_source], instance=instance, run_config=QUIET)
    deadline = started + WAIT_S
    while not captured(store):
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing was captured within {WAIT_S} s of the daemon starting")
        time.sleep(0.5)
    return time.monotonic() - started


def measure(database: str, size: str) -> Result:
    result = Result("capture", size, database)
    count = SIZES[size]
    definitions = burst_definitions(WIDTH)
    job = definitions.resolve_job_def("burst_job")
    with fresh_database(database) as url, tempfile.TemporaryDirectory() as home:
        env = _environment(Path(home), url, database)
        os.environ.update(env)
        store = AuditStore.open(url)
        with daemon(env, Path(home) / "daemon.log"), DagsterInstance.get() as instance:
            live = warm_up(instance, store)
            started = time.monotonic()
            for _ in range(-(-count // WIDTH)):
                job.execute_in_process(instance=instance, run_config=QUIET)
            produced = time.monotonic() - started
            dagster = burst_records(instance)
            wait_for(store, set(dagster), WAIT_S)
        seen = captured(store)
        store.close()
    lags = [_lag(seen[sid][0], ts) for sid, ts in dagster.items() if sid in seen]
    with_input = sum(1 for sid in dagster if sid in seen and SOURCE in seen[sid][1])
    note = (
        f"{len(dagster)} materializations in {produced:.0f} s of Dagster runs of {WIDTH}, "
        f"started once the capture was live ({live:.0f} s after the daemon)"
    )
    result.add(
        figure("capture lag, median", [percentile(lags, 0.5)], "s", ("<=", TARGET_MEDIAN_S), note),
        figure("capture lag, max", [max(lags)], "s", note=note),
        figure("capture completeness", [100 * len(lags) / len(dagster)], "%", (">=", 100.0)),
        figure("captured with their input", [100 * with_input / len(dagster)], "%", (">=", 100.0)),
    )
    return result


def _environment(home: Path, url: str, database: str) -> dict[str, str]:
    dagster_home = home / "dagster"
    dagster_home.mkdir()
    storage = url.replace("+psycopg", "+psycopg2") if database == "postgres" else None
    (dagster_home / "dagster.yaml").write_text(instance_yaml(storage))
    return {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "MLAUDIT_HOME": str(home),
        "MLAUDIT_DATABASE_URL": url,
        "MLAUDIT_KEYS_DIR": str(home / "keys"),
    }


def _lag(received_at: str, timestamp: float) -> float:
    return datetime.fromisoformat(received_at.replace("Z", "+00:00")).timestamp() - timestamp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    result = measure(args.db, args.size)
    result.save_and_show()


if __name__ == "__main__":
    main()
