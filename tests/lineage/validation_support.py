"""What the validation tests share: schema URL prefixes, reading violations, the upstream
negative samples' expected violations, and a valid set of this project's facets."""

from __future__ import annotations

from typing import Any

from lineage.validation import Violation

FACETS = "https://openlineage.io/spec/facets"
MLAUDIT = "https://mlaudit.invalid/spec/facets/1-0-0"


def paths(violations: list[Violation]) -> set[str]:
    return {violation.path for violation in violations}


def one(violations: list[Violation], path: str) -> Violation:
    matching = [violation for violation in violations if violation.path == path]
    assert len(matching) == 1, violations
    return matching[0]


# Upstream's negative samples, with or without normalisation: the paths of every violation.
INVALID = {
    "invalid/fluentd-proxy/event_invalid_dataset_facet.json": {
        "$.outputs[0].facets.ownership.owners[0].name"
    },
    # Its intended fault is `noRowCount` (a typo of rowCount, an allowed extra field); what the
    # schema rejects is the missing columnMetrics. Unlike the event_full samples, normalize does
    # not fill it: with an unknown property the facet's meaning is not unambiguous.
    "invalid/fluentd-proxy/event_invalid_input_dataset_facet.json": {
        "$.inputs[0].inputFacets.dataQualityMetrics.columnMetrics"
    },
    "invalid/fluentd-proxy/event_invalid_job_facet.json": {"$.job.facets.ownership.owners[0].name"},
    "invalid/fluentd-proxy/event_invalid_output_dataset_facet.json": {
        "$.outputs[0].outputFacets.outputStatistics.rowCount"
    },
    "invalid/fluentd-proxy/event_invalid_run_facet.json": {"$.run.facets.parent.run.runId"},
    "invalid/fluentd-proxy/event_no_run_id.json": {"$.run.runId"},
}


def mlaudit_facets(make_facet) -> dict[str, dict[str, Any]]:
    def ours(facet_name: str, **fields: Any) -> dict[str, Any]:
        return make_facet(f"{MLAUDIT}/{facet_name}.json#/$defs/{facet_name}", **fields)

    model = {"namespace": "dagster", "name": "churn_model", "version": "7"}
    return {
        "mlaudit_actor": ours("ActorRunFacet", name="alice", kind="user", source="dagster/user"),
        "mlaudit_dagster": ours(
            "DagsterRunFacet",
            runId="abc",
            eventType="ASSET_MATERIALIZATION",
            storageId=12,
            stepKey=None,
            tags={"ml/role": "model"},
        ),
        "mlaudit_training": ours(
            "TrainingRunFacet",
            algorithm="random_forest",
            hyperparameters={"n_estimators": 100},
            framework="scikit-learn",
        ),
        "mlaudit_evaluation": ours(
            "EvaluationRunFacet",
            model=model,
            metrics={"auc": 0.91},
            checks=[{"name": "auc", "passed": True}],
        ),
        "mlaudit_deployment": ours(
            "DeploymentRunFacet",
            environment="prod",
            model=model,
            action="deploy",
            previousVersion=None,
        ),
    }
