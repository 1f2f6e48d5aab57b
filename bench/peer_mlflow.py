"""Peer figure: recording a training run through MLflow's tracking API against one audit event here.

    .venv/bin/python bench/peer_mlflow.py [--db sqlite|postgres|all] [--runs 200] [--repeats 3]

Both sides record the same facts about a training run (the algorithm, seven hyperparameters, five
metrics, the input dataset) into a fresh database of the same kind, in the same invocation:
MLflow through its fluent API in its own virtualenv (bench/peer/mlflow_side.py; `.venv-mlflow`,
created on first use, because MLflow's pins differ from ours), the audit store through
`AuditStore.ingest` of one OpenLineage event per run, unbatched: validation, pseudonymization,
hash chain, Merkle leaf and projections included. The ratio is taken per repeat and the median
reported.

Each side runs the database as it ships. On SQLite that is not the same durability: MLflow sets
no journal mode, so SQLite's rollback journal with synchronous=FULL syncs the disk at each of
its commits; the store runs WAL with synchronous=NORMAL, which loses nothing acknowledged when
the application crashes but can lose the last commits to a power cut. On PostgreSQL both sides
commit synchronously.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, Result, figure, fresh_database, own_keys
from lineage.facets import PRODUCER, schema_url
from lineage.store import AuditStore

MLFLOW_VENV = ROOT / ".venv-mlflow"
MLFLOW_PIN = "mlflow==3.17.0"
MLFLOW_SIDE = Path(__file__).resolve().parent / "peer" / "mlflow_side.py"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
TARGET_RATIO = 10.0
HYPERPARAMETERS = {
    "n_estimators": 200,
    "max_depth": 6,
    "min_samples_leaf": 2,
    "criterion": "gini",
    "random_state": 7,
    "sample_fraction": 0.9,
    "drop_outliers_zscore": 3.0,
}
METRICS = {"accuracy": 0.965, "roc_auc": 0.9962, "f1": 0.972, "precision": 0.97, "recall": 0.974}
# MLflow gets the algorithm as one more parameter; the audit event has a field for it.
FACTS = {"params": {"algorithm": "random_forest", **HYPERPARAMETERS}, "metrics": METRICS}


def mlflow_python() -> Path:
    python = MLFLOW_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, MLFLOW_PIN, "psycopg2-binary"], check=True)
    return python


def mlflow_run_ms(url: str, runs: int, warmup: int) -> dict[str, Any]:
    """Median milliseconds per MLflow run against the tracking store at `url`."""
    done = subprocess.run(
        [str(mlflow_python()), str(MLFLOW_SIDE), url, str(runs), str(warmup), json.dumps(FACTS)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def training_event(index: int) -> dict[str, Any]:
    """The same facts as MLflow's run: hyperparameters, metrics, input dataset (and the model)."""
    facet = {"_producer": PRODUCER}
    version = uuid.uuid4().hex[:16]
    return {
        "eventType": "COMPLETE",
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT,
        "run": {
            "runId": str(uuid.uuid4()),
            "facets": {
                "mlaudit_actor": {
                    **facet,
                    "_schemaURL": schema_url("ActorRunFacet"),
                    "name": f"engineer-{index % 50}@example.com",
                    "kind": "user",
                },
                "mlaudit_training": {
                    **facet,
                    "_schemaURL": schema_url("TrainingRunFacet"),
                    "algorithm": "random_forest",
                    "hyperparameters": HYPERPARAMETERS,
                },
                "mlaudit_evaluation": {
                    **facet,
                    "_schemaURL": schema_url("EvaluationRunFacet"),
                    "model": {
                        "namespace": "s3://ml-models",
                        "name": "breast_cancer",
                        "version": version,
                    },
                    "metrics": METRICS,
                },
            },
        },
        "job": {"namespace": "peer-benchmark", "name": "train"},
        "inputs": [{"namespace": "s3://ml-data", "name": "breast_cancer/clean.parquet"}],
        "outputs": [{"namespace": "s3://ml-models", "name": "breast_cancer"}],
    }


def audit_run_ms(url: str, runs: int, warmup: int) -> float:
    """Median milliseconds per training run recorded as one unbatched audit event."""
    with own_keys():
        store = AuditStore.open(url)
        for index in range(warmup):
            store.ingest([training_event(-index - 1)])
        timings = []
        for index in range(runs):
            started = time.perf_counter()
            store.ingest([training_event(index)])
            timings.append(time.perf_counter() - started)
        store.close()
    return statistics.median(timings) * 1000


def compare(db: str, runs: int, repeats: int) -> dict[str, Any]:
    rows = []
    for _ in range(repeats):
        with fresh_database(db) as mlflow_url, fresh_database(db) as audit_url:
            mlflow = mlflow_run_ms(mlflow_url.replace("+psycopg", "+psycopg2"), runs, warmup=5)
            ours = audit_run_ms(audit_url, runs, warmup=5)
        rows.append(
            {"mlflow_ms": mlflow["median_ms"], "audit_ms": ours, "mlflow": mlflow["mlflow"]}
        )
        rows[-1]["ratio"] = rows[-1]["mlflow_ms"] / ours
    return {
        "mlflow_version": rows[0]["mlflow"],
        "mlflow_ms": statistics.median(r["mlflow_ms"] for r in rows),
        "audit_ms": statistics.median(r["audit_ms"] for r in rows),
        "ratio": statistics.median(r["ratio"] for r in rows),
        "repeats": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per side and repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", default="small", help="accepted for the runner; unused")
    args = parser.parse_args()
    for db in ["sqlite", "postgres"] if args.db == "all" else [args.db]:
        result = Result("peer", args.size, db)
        found = compare(db, args.runs, args.repeats)
        note = (
            f"MLflow {found['mlflow_version']} {found['mlflow_ms']:.1f} ms/run, audit event "
            f"{found['audit_ms']:.2f} ms/run (medians of {args.runs} runs; ratio per repeat)"
        )
        ratios = [r["ratio"] for r in found["repeats"]]
        name = "peer: MLflow tracking run / one audit event (same facts)"
        result.add(figure(name, ratios, "x faster", (">=", TARGET_RATIO), note))
        path = result.save()
        print(f"{db}: {note}; median ratio {statistics.median(ratios):.1f}x -> {path}", flush=True)


if __name__ == "__main__":
    main()
