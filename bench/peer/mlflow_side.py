"""MLflow's side of the peer benchmark: runs in MLflow's own virtualenv, prints JSON timings.

    python mlflow_side.py TRACKING_URI RUNS WARMUP FACTS_JSON

FACTS_JSON is {"params": {...}, "metrics": {...}}: the same facts the audit side records.

Each timed run records what the audit side records for a training run: the hyperparameters, the
evaluation metrics and the input dataset, through MLflow's public tracking API. The dataset object
is built once, untimed (its digest is computed from the data frame), which favours MLflow.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore")

import mlflow  # noqa: E402
import pandas as pd  # noqa: E402


def record_run(dataset: object, index: int, facts: dict) -> None:
    with mlflow.start_run(run_name=f"train-{index}"):
        mlflow.log_params(facts["params"])
        mlflow.log_metrics(facts["metrics"])
        mlflow.log_input(dataset, context="training")


def main() -> None:
    uri, runs, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    facts = json.loads(sys.argv[4])
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("peer-benchmark")
    frame = pd.DataFrame(
        {"radius": [float(i) for i in range(100)], "label": [i % 2 for i in range(100)]}
    )
    dataset = mlflow.data.from_pandas(
        frame, source="s3://ml-data/breast_cancer/clean.parquet", name="clean_breast_cancer"
    )
    for index in range(warmup):
        record_run(dataset, -index, facts)
    timings = []
    for index in range(runs):
        started = time.perf_counter()
        record_run(dataset, index, facts)
        timings.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "mlflow": mlflow.__version__,
                "runs": runs,
                "median_ms": statistics.median(timings) * 1000,
                "mean_ms": statistics.fmean(timings) * 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
