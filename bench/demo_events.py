"""Deterministic demo-like OpenLineage events for the ingest benchmark.

Shaped like what the Dagster capture emits for the example ML project: a Dagster run (START,
COMPLETE) per pipeline pass, one child run per asset with the upstream versions it read as inputs
and the version it wrote as output, reads (RUNNING of the reader), training, evaluation and
deployment facets, an occasional deletion (DROP), and actors that are people or a schedule.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from lineage.facets import schema_url

PRODUCER = "https://github.com/mlaudit/mlaudit/audit_pipelines"
SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACETS = "https://openlineage.io/spec/facets"
PIPELINES = ("churn", "fraud", "ranking", "forecast")
CHAIN = ("raw", "clean", "features")
PEOPLE = (("alice", "user"), ("bob", "user"), ("carol", "user"), ("nightly", "schedule"))
START = datetime(2026, 1, 1, tzinfo=UTC)


def _facet(url: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": url, **fields}


def _version(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def _dataset(name: str, version: str | None, *, model: bool = False) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if version:
        url = f"{FACETS}/1-0-1/DatasetVersionDatasetFacet.json"
        facets["version"] = _facet(url, datasetVersion=version)
    if model:
        url = f"{FACETS}/1-0-0/DatasetTypeDatasetFacet.json"
        facets["datasetType"] = _facet(url, datasetType="MODEL")
    return {"namespace": "dagster", "name": name, "facets": facets}


class Pass:
    """One pass of one pipeline: a Dagster run and the child runs of its assets."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.pipeline = PIPELINES[index % len(PIPELINES)]
        self.actor, self.kind = PEOPLE[(index // len(PIPELINES)) % len(PEOPLE)]
        self.run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-run:{index}"))
        self.job = f"__ASSET_JOB_{self.pipeline}"
        self.step = 0

    def event(self, kind: str, asset: str | None, facets: dict[str, Any], **io: Any) -> dict:
        self.step += 1
        moment = START + timedelta(minutes=self.index, seconds=self.step, microseconds=self.index)
        run_facets = {**self._base(kind, asset), **facets}
        if asset is None:
            job, run_id = self.job, self.run_id
        else:
            job = f"{self.pipeline}/{asset}"
            run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.run_id}|{asset}"))
            run_facets["parent"] = self._parent()
        job_type = _facet(
            f"{FACETS}/2-0-3/JobTypeJobFacet.json",
            processingType="BATCH",
            integration="DAGSTER",
            jobType="ASSET" if asset else "JOB",
        )
        return {
            "eventType": kind,
            "eventTime": moment.isoformat(timespec="microseconds"),
            "producer": PRODUCER,
            "schemaURL": SCHEMA,
            "run": {"runId": run_id, "facets": run_facets},
            "job": {"namespace": "dagster", "name": job, "facets": {"jobType": job_type}},
            "inputs": io.get("inputs", []),
            "outputs": io.get("outputs", []),
        }

    def _base(self, kind: str, asset: str | None) -> dict[str, Any]:
        storage_id = self.index * 100 + self.step
        return {
            "mlaudit_actor": _facet(
                schema_url("ActorRunFacet"), name=self.actor, kind=self.kind, source="dagster"
            ),
            "mlaudit_dagster": _facet(
                schema_url("DagsterRunFacet"),
                runId=self.run_id,
                eventType=f"ASSET_{kind}",
                jobName=self.job,
                storageId=storage_id,
                stepKey=asset,
                assetKey=f"{self.pipeline}/{asset}" if asset else None,
                tags={"dagster/user": self.actor, "team": "ml-platform"},
                runConfig={"ops": {"model": {"config": {"C": 1.0, "max_iter": 1000}}}},
            ),
            "processing_engine": _facet(
                f"{FACETS}/1-1-1/ProcessingEngineRunFacet.json",
                version="1.9.0",
                name="Dagster",
                openlineageAdapterVersion="1.26.0",
            ),
        }

    def _parent(self) -> dict[str, Any]:
        job = {"namespace": "dagster", "name": self.job}
        return _facet(
            f"{FACETS}/1-1-0/ParentRunFacet.json",
            run={"runId": self.run_id},
            job=job,
            root={"run": {"runId": self.run_id}, "job": job},
        )

    def name(self, asset: str) -> str:
        return f"{self.pipeline}/{asset}"

    def version(self, asset: str) -> str:
        # Every third pass leaves the raw data unchanged: its version repeats (a `modify`).
        epoch = self.index // 3 if asset in ("source", "raw") else self.index
        return _version(self.pipeline, asset, epoch)


def pipeline_pass(index: int) -> list[dict[str, Any]]:
    """The events of one pass, in the order the capture would emit them."""
    p = Pass(index)
    source = {**_dataset(f"/data/{p.pipeline}.csv", p.version("source")), "namespace": "file"}
    events = [p.event("START", None, {})]
    upstream = source
    for asset in CHAIN:
        if asset != "raw":
            events.append(p.event("RUNNING", asset, {}, inputs=[upstream]))
        output = _dataset(p.name(asset), p.version(asset))
        events.append(p.event("COMPLETE", asset, {}, inputs=[upstream], outputs=[output]))
        upstream = output
    events.extend(_ml_events(p, upstream))
    if index % 10 == 9:
        events.append(_deletion(p))
    events.append(p.event("COMPLETE", None, {}))
    return events


def _ml_events(p: Pass, features: dict[str, Any]) -> list[dict[str, Any]]:
    model_version = p.version("model")
    model = _dataset(p.name("model"), model_version, model=True)
    ref = {"namespace": "dagster", "name": p.name("model"), "version": model_version}
    training = _facet(
        schema_url("TrainingRunFacet"),
        algorithm="logistic_regression" if p.index % 2 else "random_forest",
        hyperparameters={"C": 1.0, "max_iter": 1000, "random_state": 0, "tol": 0.0001},
        framework="scikit-learn",
    )
    accuracy = 0.9 + (p.index % 97) / 1000
    evaluation = _facet(
        schema_url("EvaluationRunFacet"),
        model=ref,
        metrics={"accuracy": accuracy, "f1": accuracy - 0.0125, "roc_auc": 0.99},
        checks=[{"name": "accuracy_at_least_0_9", "passed": accuracy >= 0.9, "severity": "ERROR"}],
    )
    events = [
        p.event(
            "COMPLETE", "model", {"mlaudit_training": training}, inputs=[features], outputs=[model]
        ),
        p.event("COMPLETE", "evaluation", {"mlaudit_evaluation": evaluation}, inputs=[model]),
    ]
    if p.index % 3 == 0:
        deployment = _facet(
            schema_url("DeploymentRunFacet"),
            environment="production" if p.index % 2 == 0 else "staging",
            model=ref,
            action="update" if p.index else "deploy",
            target=f"serving/{p.pipeline}",
        )
        inputs = [model]
        events.append(
            p.event("COMPLETE", "deployment", {"mlaudit_deployment": deployment}, inputs=inputs)
        )
    return events


def _deletion(p: Pass) -> dict[str, Any]:
    change = _facet(
        f"{FACETS}/1-0-1/LifecycleStateChangeDatasetFacet.json", lifecycleStateChange="DROP"
    )
    dropped = {
        "namespace": "dagster",
        "name": p.name("raw"),
        "facets": {"lifecycleStateChange": change},
    }
    return p.event("COMPLETE", "retention", {}, outputs=[dropped])


def demo_events(count: int) -> list[dict[str, Any]]:
    """The first `count` events of consecutive pipeline passes (the same every call)."""
    events: list[dict[str, Any]] = []
    index = 0
    while len(events) < count:
        events.extend(pipeline_pass(index))
        index += 1
    return events[:count]
