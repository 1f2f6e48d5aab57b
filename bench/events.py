"""OpenLineage 2-0-2 RunEvents of the benchmark world, as the store receives them (plain dicts).

Datasets carry the standard `version` facet (and `datasetType` MODEL for models), outputs a
`schema` facet and output statistics; runs carry this project's actor facet and, for ML steps,
the training, evaluation and deployment facets (see lineage/facets.py).
"""

from __future__ import annotations

from typing import Any

from bench.world import Node
from lineage.facets import schema_url

PRODUCER = "https://github.com/mlaudit/mlaudit/bench"
SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
SPEC = "https://openlineage.io/spec/facets"
VERSION_URL = f"{SPEC}/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
TYPE_URL = f"{SPEC}/1-0-1/DatasetTypeDatasetFacet.json#/$defs/DatasetTypeDatasetFacet"
SCHEMA_URL = f"{SPEC}/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
STATS_URL = (
    f"{SPEC}/1-0-2/OutputStatisticsOutputDatasetFacet.json"
    "#/$defs/OutputStatisticsOutputDatasetFacet"
)
JOB_TYPE_URL = f"{SPEC}/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
ERROR_URL = f"{SPEC}/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"


def facet(url: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": url, **fields}


def custom(facet_name: str, /, **fields: Any) -> dict[str, Any]:
    return facet(schema_url(facet_name), **fields)


def dataset_ref(node: Node, version: str) -> dict[str, Any]:
    """A dataset as read (an input): identity and the version read."""
    facets: dict[str, Any] = {"version": facet(VERSION_URL, datasetVersion=version)}
    if node.kind == "MODEL":
        facets["datasetType"] = facet(TYPE_URL, datasetType="MODEL")
    return {"namespace": node.namespace, "name": node.name, "facets": facets}


def dataset_written(node: Node, version: str, rows: int) -> dict[str, Any]:
    """A dataset as written (an output): the version plus schema and statistics."""
    written = dataset_ref(node, version)
    if node.fields:
        fields = [{"name": name, "type": "double"} for name in node.fields]
        written["facets"]["schema"] = facet(SCHEMA_URL, fields=fields)
    written["outputFacets"] = {"outputStatistics": facet(STATS_URL, rowCount=rows, size=rows * 96)}
    return written


def model_ref(node: Node, version: str | None) -> dict[str, Any]:
    return {"namespace": node.namespace, "name": node.name, "version": version}


def run_event(
    kind: str,
    time: str,
    run_id: str,
    job: tuple[str, str, str],
    run_facets: dict[str, Any],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One RunEvent; `job` is (namespace, name, jobType)."""
    namespace, name, job_type = job
    job_facets = {
        "jobType": facet(JOB_TYPE_URL, processingType="BATCH", integration="MLAUDIT",
                         jobType=job_type)
    }  # fmt: skip
    return {
        "eventType": kind,
        "eventTime": time,
        "producer": PRODUCER,
        "schemaURL": SCHEMA,
        "run": {"runId": run_id, "facets": run_facets},
        "job": {"namespace": namespace, "name": name, "facets": job_facets},
        "inputs": inputs,
        "outputs": outputs or [],
    }


def error_facet(message: str) -> dict[str, Any]:
    return facet(ERROR_URL, message=message, programmingLanguage="python")
