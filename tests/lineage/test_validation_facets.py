"""Validation: which core schema applies, standard facets, and this project's facets."""

from __future__ import annotations

from typing import Any

import pytest
from validation_support import FACETS, mlaudit_facets, one, paths

from lineage.validation import facets as standard
from lineage.validation import (
    validate_event,
)
from lineage.validation.targets import core_schema_for

# --- which core schema --------------------------------------------------------------------


CORE = "https://openlineage.io/spec"


@pytest.mark.parametrize(
    ("schema_url", "shape", "expected"),
    [
        (f"{CORE}/1-0-5/OpenLineage.json#/$defs/RunEvent", "run", ("1-0-5", "RunEvent")),
        (f"{CORE}/1-0-5/OpenLineage.json#/definitions/RunEvent", "run", ("1-0-5", "RunEvent")),
        (f"{CORE}/1-0-1/OpenLineage.json", "run", ("1-0-1", "RunEvent")),
        (f"{CORE}/2-0-0/OpenLineage.json#/$defs/JobEvent", "run", ("2-0-0", "JobEvent")),
        (f"{CORE}/2-0-1/OpenLineage.json", "dataset", ("2-0-1", "DatasetEvent")),
        (f"{CORE}/2-0-1/OpenLineage.json", "job", ("2-0-1", "JobEvent")),
        # 1-0-1 has no JobEvent; 2-8-9 was never published; the last is no OpenLineage URL.
        (f"{CORE}/1-0-1/OpenLineage.json#/definitions/JobEvent", "job", ("2-0-2", "JobEvent")),
        (
            f"{CORE}/2-8-9/OpenLineage.json#/definitions/DatasetEvent",
            "run",
            ("2-0-2", "DatasetEvent"),
        ),
        ("http://test.schema.url", "job", ("2-0-2", "JobEvent")),
        (None, "run", ("2-0-2", "RunEvent")),
        (None, "nothing", ("2-0-2", "RunEvent")),
    ],
)
def test_core_schema_choice(schema_url, shape, expected):
    shapes = {"run": {"run": {}, "job": {}}, "job": {"job": {}}, "dataset": {"dataset": {}}}
    event: dict[str, Any] = dict(shapes.get(shape, {}))
    if schema_url:
        event["schemaURL"] = schema_url
    assert core_schema_for(event) == expected


@pytest.mark.parametrize(
    ("version", "valid"), [("1-0-1", False), ("1-0-5", True), ("2-0-2", True), ("9-9-9", True)]
)
def test_core_version_decides(base_event, version, valid):
    # RUNNING joined the eventType enum after 1-0-1.
    base_event["eventType"] = "RUNNING"
    base_event["schemaURL"] = (
        f"https://openlineage.io/spec/{version}/OpenLineage.json#/$defs/RunEvent"
    )
    assert (validate_event(base_event) == []) is valid


def test_dataset_event_must_not_carry_a_run():
    event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": "https://github.com/mlaudit/mlaudit",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {"namespace": "file", "name": "/data/x"},
    }
    assert validate_event(event) == []
    event["run"] = {"runId": "0190e8a4-7c1f-7a55-8a3e-1a2b3c4d5e6f"}
    event["job"] = {"namespace": "n", "name": "j"}
    assert paths(validate_event(event)) == {"$"}


def test_dataset_event_facets_are_checked(load_sample):
    event = load_sample("marquez/event_dataset_event.json")
    event["dataset"]["facets"]["schema"]["fields"] = "id"
    assert paths(validate_event(event)) == {"$.dataset.facets.schema.fields"}


# --- facets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "key", "definition"),
    [
        ("run", "nominalTime", "NominalTimeRunFacet"),
        ("run", "parent", "ParentRunFacet"),
        ("run", "errorMessage", "ErrorMessageRunFacet"),
        ("run", "environmentVariables", "EnvironmentVariablesRunFacet"),
        ("run", "processing_engine", "ProcessingEngineRunFacet"),
        ("run", "externalQuery", "ExternalQueryRunFacet"),
        ("run", "extractionError", "ExtractionErrorRunFacet"),
        ("run", "jobDependencies", "JobDependenciesRunFacet"),
        ("run", "tags", "TagsRunFacet"),
        ("run", "test", "TestRunFacet"),
        ("job", "ownership", "OwnershipJobFacet"),
        ("job", "documentation", "DocumentationJobFacet"),
        ("job", "sql", "SQLJobFacet"),
        ("job", "sourceCode", "SourceCodeJobFacet"),
        ("job", "sourceCodeLocation", "SourceCodeLocationJobFacet"),
        ("job", "jobType", "JobTypeJobFacet"),
        ("job", "tags", "TagsJobFacet"),
        ("dataset", "schema", "SchemaDatasetFacet"),
        ("dataset", "version", "DatasetVersionDatasetFacet"),
        ("dataset", "lifecycleStateChange", "LifecycleStateChangeDatasetFacet"),
        ("dataset", "ownership", "OwnershipDatasetFacet"),
        ("dataset", "documentation", "DocumentationDatasetFacet"),
        ("dataset", "dataSource", "DatasourceDatasetFacet"),
        ("dataset", "columnLineage", "ColumnLineageDatasetFacet"),
        ("dataset", "datasetType", "DatasetTypeDatasetFacet"),
        ("dataset", "symlinks", "SymlinksDatasetFacet"),
        ("dataset", "storage", "StorageDatasetFacet"),
        ("dataset", "tags", "TagsDatasetFacet"),
        ("dataset", "catalog", "CatalogDatasetFacet"),
        ("dataset", "hierarchy", "HierarchyDatasetFacet"),
        ("dataset", "dataQualityMetrics", "DataQualityMetricsDatasetFacet"),
        ("input", "dataQualityMetrics", "DataQualityMetricsInputDatasetFacet"),
        ("input", "dataQualityAssertions", "DataQualityAssertionsDatasetFacet"),
        ("input", "inputStatistics", "InputStatisticsInputDatasetFacet"),
        ("input", "subset", "InputSubsetInputDatasetFacet"),
        ("output", "outputStatistics", "OutputStatisticsOutputDatasetFacet"),
        ("output", "subset", "OutputSubsetOutputDatasetFacet"),
    ],
)
def test_standard_facet_by_key(place, key, definition):
    assert standard.standard_facets()[(place, key)].definitions == (definition,)


def test_standard_facet_keys_only_at_their_place():
    assert ("job", "nominalTime") not in standard.standard_facets()
    assert ("run", "schema") not in standard.standard_facets()


def test_defined_properties_come_from_the_current_schema():
    own = {"rowCount", "bytes", "fileCount", "lastUpdated", "columnMetrics"}
    base = {"_producer", "_schemaURL"}
    assert standard.defined_properties("input", "dataQualityMetrics") == own | base
    # The core's DatasetFacet, which DataQualityMetricsDatasetFacet extends, adds `_deleted`.
    assert standard.defined_properties("dataset", "dataQualityMetrics") == own | base | {"_deleted"}
    assert standard.defined_properties("output", "dataQualityMetrics") == frozenset()


def test_facet_checked_by_key_despite_stale_schema_url(base_event, make_facet):
    stale = "https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/spec/OpenLineage.yml#MyCustomJobFacet"
    base_event["job"]["facets"] = {"sql": make_facet(stale, query=42)}
    violation = one(validate_event(base_event), "$.job.facets.sql.query")
    assert violation.message == "query: expected string, got number 42"


def test_declared_facet_version_is_used(base_event, make_facet):
    # JobTypeJobFacet 2-0-4 added emissionPattern (with required fields); 2-0-2 has no such field.
    job_type = {"processingType": "BATCH", "integration": "DAGSTER", "emissionPattern": {}}
    base_event["job"]["facets"] = {
        "jobType": make_facet(f"{FACETS}/2-0-4/JobTypeJobFacet.json", **job_type)
    }
    assert paths(validate_event(base_event)) == {
        "$.job.facets.jobType.emissionPattern.eventTrigger",
        "$.job.facets.jobType.emissionPattern.eventContentMode",
    }
    base_event["job"]["facets"]["jobType"]["_schemaURL"] = f"{FACETS}/2-0-2/JobTypeJobFacet.json"
    assert validate_event(base_event) == []
    # A version that was never published reads as the current one.
    base_event["job"]["facets"]["jobType"]["_schemaURL"] = f"{FACETS}/2-0-9/JobTypeJobFacet.json"
    assert validate_event(base_event) != []


def test_declared_facet_version_of_another_facet_is_ignored(base_event, make_facet):
    root = {
        "run": {"runId": "0190e8a4-7c1f-7a55-8a3e-1a2b3c4d5e6f"},
        "job": {"namespace": "n", "name": "j"},
    }
    parent = make_facet(f"{FACETS}/1-0-0/ParentRunFacet.json", **root, root={})
    base_event["run"]["facets"]["parent"] = parent
    assert validate_event(base_event) == []  # 1-0-0 knows no `root`
    parent["_schemaURL"] = f"{FACETS}/1-0-0/NominalTimeRunFacet.json"
    assert paths(validate_event(base_event)) == {
        "$.run.facets.parent.root.run",
        "$.run.facets.parent.root.job",
    }


def test_facet_version_declared_through_old_core(base_event, make_facet):
    # Core 1-0-1 defined DataQualityMetricsInputDatasetFacet itself; it required columnMetrics too.
    url = "https://openlineage.io/spec/1-0-1/OpenLineage.json#/definitions/DataQualityMetricsInputDatasetFacet"
    base_event["inputs"][0]["inputFacets"] = {"dataQualityMetrics": make_facet(url, rowCount=10)}
    assert paths(validate_event(base_event)) == {
        "$.inputs[0].inputFacets.dataQualityMetrics.columnMetrics"
    }
    base_event["inputs"][0]["inputFacets"]["dataQualityMetrics"]["columnMetrics"] = {}
    assert validate_event(base_event) == []


def test_subset_facet_by_place(base_event, make_facet):
    url = f"{FACETS}/1-0-0/BaseSubsetDatasetFacet.json#/$defs/InputSubsetInputDatasetFacet"
    base_event["inputs"][0]["inputFacets"] = {"subset": make_facet(url)}
    assert paths(validate_event(base_event)) == {"$.inputs[0].inputFacets.subset.inputCondition"}


def test_deleted_facet_carries_no_content(base_event, make_facet):
    url = f"{FACETS}/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet"
    base_event["job"]["facets"] = {"sql": make_facet(url)}
    assert paths(validate_event(base_event)) == {"$.job.facets.sql.query"}
    base_event["job"]["facets"]["sql"]["_deleted"] = True
    assert validate_event(base_event) == []


def test_unknown_custom_facet_is_accepted(base_event, make_facet):
    custom = make_facet("https://example.com/schemas/MyFacet.json", anything=[1, {"x": None}])
    base_event["run"]["facets"]["myorg_custom"] = custom
    base_event["outputs"][0]["outputFacets"]["myorg_other"] = make_facet("urn:x", n=1)
    assert validate_event(base_event) == []


def test_custom_facet_still_needs_base_facet_fields(base_event):
    # The core, not a facet schema, requires _producer and _schemaURL of every facet.
    base_event["run"]["facets"]["myorg_custom"] = {"anything": 1}
    assert paths(validate_event(base_event)) == {
        "$.run.facets.myorg_custom._producer",
        "$.run.facets.myorg_custom._schemaURL",
    }


def test_standard_key_out_of_place_is_a_custom_facet(base_event, make_facet):
    base_event["job"]["facets"] = {"nominalTime": make_facet("urn:x", nominalStartTime=3)}
    assert validate_event(base_event) == []


# --- this project's facets ----------------------------------------------------------------


def test_mlaudit_facets_valid(base_event, make_facet):
    base_event["run"]["facets"].update(mlaudit_facets(make_facet))
    assert validate_event(base_event) == []


def test_mlaudit_facets_emitted_by_our_classes_are_valid(base_event):
    from openlineage.client.serde import Serde

    from lineage import facets

    model = facets.ModelRef(namespace="dagster", name="churn_model", version="7")
    emitted = {
        "mlaudit_actor": facets.ActorRunFacet(name="alice"),
        "mlaudit_dagster": facets.DagsterRunFacet(
            runId="abc", eventType="STEP_SUCCESS", storageId=3
        ),
        "mlaudit_training": facets.TrainingRunFacet(algorithm="rf", hyperparameters={"depth": 3}),
        "mlaudit_evaluation": facets.EvaluationRunFacet(model=model, metrics={"auc": 0.9}),
        "mlaudit_deployment": facets.DeploymentRunFacet(environment="prod", model=model),
        "mlaudit_user_action": facets.UserActionRunFacet(
            action="account.create", target={"kind": "account", "name": "bob"}
        ),
    }
    assert set(emitted) == set(facets.FACET_KEYS)
    base_event["run"]["facets"].update({key: Serde.to_dict(f) for key, f in emitted.items()})
    assert validate_event(base_event) == []


def test_mlaudit_training_without_algorithm(base_event, make_facet):
    training = mlaudit_facets(make_facet)["mlaudit_training"]
    del training["algorithm"]
    base_event["run"]["facets"]["mlaudit_training"] = training
    violation = one(validate_event(base_event), "$.run.facets.mlaudit_training.algorithm")
    assert violation.message == "algorithm: required field is missing"


@pytest.mark.parametrize(
    ("key", "change", "path"),
    [
        ("mlaudit_actor", {"kind": "robot"}, "kind"),
        ("mlaudit_dagster", {"storageId": "12"}, "storageId"),
        ("mlaudit_evaluation", {"metrics": {"auc": "high"}}, "metrics.auc"),
        ("mlaudit_evaluation", {"checks": [{"name": "auc"}]}, "checks[0].passed"),
        ("mlaudit_deployment", {"action": "yolo"}, "action"),
        ("mlaudit_deployment", {"model": {"name": "m"}}, "model.namespace"),
    ],
)
def test_mlaudit_facet_violations(base_event, make_facet, key, change, path):
    facet = mlaudit_facets(make_facet)[key] | change
    base_event["run"]["facets"][key] = facet
    assert paths(validate_event(base_event)) == {f"$.run.facets.{key}.{path}"}


def test_mlaudit_facet_is_checked_wherever_it_appears(base_event, make_facet):
    training = mlaudit_facets(make_facet)["mlaudit_training"]
    del training["algorithm"]
    base_event["job"]["facets"] = {"mlaudit_training": training}
    assert paths(validate_event(base_event)) == {"$.job.facets.mlaudit_training.algorithm"}
