"""What the normalisation tests share: schema URLs, the note a filled-in dataQualityMetrics
facet gets, and helpers to read and build the facets they look at."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, uuid5

RUN_EVENT_2_0_2 = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACETS = "https://openlineage.io/spec/facets"
PARENT_URL = f"{FACETS}/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet"
DQ_INPUT_URL = (
    f"{FACETS}/1-0-3/DataQualityMetricsInputDatasetFacet.json"
    "#/$defs/DataQualityMetricsInputDatasetFacet"
)
DQ_DATASET_URL = (
    f"{FACETS}/1-0-0/DataQualityMetricsDatasetFacet.json#/$defs/DataQualityMetricsDatasetFacet"
)
NO_COLUMN_METRICS = "columnMetrics missing, read as no column metrics"


def nominal(event: dict[str, Any]) -> dict[str, Any]:
    return event["run"]["facets"]["nominalTime"]


def mapped(run_id: str) -> str:
    return str(uuid5(NAMESPACE_URL, "openlineage-run:" + run_id))


def parent_facet(make_facet, run_id: Any, root_run_id: Any = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"run": {"runId": run_id}, "job": {"namespace": "n", "name": "p"}}
    if root_run_id is not None:
        fields["root"] = {"run": {"runId": root_run_id}, "job": {"namespace": "n", "name": "r"}}
    return make_facet(PARENT_URL, **fields)
