from __future__ import annotations

import copy
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from lineage.facets import FACET_KEYS
from lineage.normalize import normalize_event
from lineage.validation import (
    Violation,
    compiled,
    documents,
    formats,
    predicates,
    targets,
    validate_event,
    validators,
)
from lineage.validation import facets as standard
from lineage.validation.targets import core_schema_for

FACETS = "https://openlineage.io/spec/facets"
MLAUDIT = "https://mlaudit.invalid/spec/facets/1-0-0"

# What a strict check (no normalisation) reports: the drift normalize fixes. After normalisation
# every literal sample validates with no violation at all.
DRIFT = {
    "generic/simple_run_event.json": {"$.run.runId"},
    # Every published DataQualityMetricsInputDatasetFacet requires columnMetrics, including the
    # one these facets declare (core 1-0-1's embedded definition); normalize reads its absence,
    # in a facet of only defined properties, as no column metrics.
    "fluentd-proxy/event_full.json": {"$.inputs[0].inputFacets.dataQualityMetrics.columnMetrics"},
    "marquez/event_full.json": {"$.inputs[0].inputFacets.dataQualityMetrics.columnMetrics"},
    "marquez/apples_1_pick_apples.json": {"$.schemaURL"},
    "marquez/apples_2_apple_filling.json": {"$.schemaURL"},
    "marquez/event_without_schema_url.json": {"$.schemaURL"},
    "marquez/event_required_no_timezone.json": {"$.eventTime"},
    "python-client/serde_example_dataset_event.json": {"$.eventTime"},
    "python-client/serde_example_job_event.json": {"$.eventTime"},
    "python-client/serde_example_run_event.json": {
        "$.eventTime",
        "$.run.facets.nominalTime.nominalStartTime",
        "$.run.facets.nominalTime.nominalEndTime",
    },
}

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


def paths(violations: list[Violation]) -> set[str]:
    return {violation.path for violation in violations}


def one(violations: list[Violation], path: str) -> Violation:
    matching = [violation for violation in violations if violation.path == path]
    assert len(matching) == 1, violations
    return matching[0]


# --- the samples --------------------------------------------------------------------------


def test_sample_sets_are_found(sample_paths):
    assert len(sample_paths("literal")) >= 22
    assert set(sample_paths("invalid")) == set(INVALID)
    assert set(DRIFT) <= set(sample_paths("literal"))


def test_literal_sample_validates_after_normalisation(literal_sample, load_sample):
    event, _ = normalize_event(load_sample(literal_sample))
    assert validate_event(event) == []


def test_literal_sample_strict_check_reports_the_drift(literal_sample, load_sample):
    violations = validate_event(load_sample(literal_sample))
    assert paths(violations) == DRIFT.get(literal_sample, set())


def test_invalid_sample_is_rejected_at_the_offending_field(invalid_sample, load_sample):
    event = load_sample(invalid_sample)
    assert paths(validate_event(event)) == INVALID[invalid_sample]
    assert paths(validate_event(normalize_event(event)[0])) == INVALID[invalid_sample]


def test_sample_messages_name_field_and_value(load_sample):
    violations = validate_event(load_sample("generic/simple_run_event.json"))
    assert one(violations, "$.run.runId").message == 'runId: "run_id" is not a valid uuid'
    output = load_sample("invalid/fluentd-proxy/event_invalid_output_dataset_facet.json")
    message = one(validate_event(output), "$.outputs[0].outputFacets.outputStatistics.rowCount")
    assert message.message == 'rowCount: expected integer, got string "wrong"'


# --- hand-made events ---------------------------------------------------------------------


def test_base_event_is_valid(base_event):
    assert validate_event(base_event) == []


@pytest.mark.parametrize("event", [[], "event", None, 42, [{"eventType": "START"}]])
def test_non_object_event(event):
    violations = validate_event(event)
    assert len(violations) == 1
    assert violations[0].path == "$"
    assert "expected a JSON object" in violations[0].message


def test_event_type_not_in_enum(base_event):
    base_event["eventType"] = "DONE"
    violation = one(validate_event(base_event), "$.eventType")
    assert violation.message.startswith('eventType: "DONE" is not one of "START"')


def test_missing_event_type_is_allowed_by_the_spec(base_event):
    del base_event["eventType"]
    assert validate_event(base_event) == []


def test_missing_required_fields_each_reported(base_event):
    del base_event["eventTime"], base_event["producer"], base_event["job"]["name"]
    violations = validate_event(base_event)
    assert paths(violations) == {"$.eventTime", "$.producer", "$.job.name"}
    assert one(violations, "$.producer").message == "producer: required field is missing"


def test_run_id_not_uuid_in_strict_check(base_event):
    base_event["run"]["runId"] = "dagster-run-42"
    violation = one(validate_event(base_event), "$.run.runId")
    assert violation.message == 'runId: "dagster-run-42" is not a valid uuid'


@pytest.mark.parametrize(
    ("parent", "path"),
    [
        ({}, "$.run.facets.parent.run.runId"),
        (
            {"root": {"run": {"runId": "root-7"}, "job": {"namespace": "n", "name": "r"}}},
            "$.run.facets.parent.root.run.runId",
        ),
    ],
)
def test_parent_run_id_not_uuid_in_strict_check(base_event, make_facet, parent, path):
    # Without normalize, a non-UUID run id stays a violation wherever the schema asks for a uuid.
    uuid = "0190e8a4-7c1f-7a55-8a3e-1a2b3c4d5e6f"
    run_id = "root-7" if parent else "parent-7"
    facet = {"run": {"runId": uuid if parent else run_id}, "job": {"namespace": "n", "name": "j"}}
    url = f"{FACETS}/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet"
    base_event["run"]["facets"]["parent"] = make_facet(url, **facet, **parent)
    violation = one(validate_event(base_event), path)
    assert violation.message == f'runId: "{run_id}" is not a valid uuid'


def test_all_violations_are_collected(base_event):
    base_event["eventType"] = "DONE"
    base_event["eventTime"] = "yesterday"
    base_event["run"]["runId"] = 7
    base_event["inputs"][0]["namespace"] = None
    base_event["run"]["facets"]["nominalTime"]["nominalStartTime"] = "soon"
    assert paths(validate_event(base_event)) == {
        "$.eventType",
        "$.eventTime",
        "$.run.runId",
        "$.inputs[0].namespace",
        "$.run.facets.nominalTime.nominalStartTime",
    }


def test_facet_of_wrong_type(base_event):
    base_event["run"]["facets"]["nominalTime"] = "yesterday"
    violation = one(validate_event(base_event), "$.run.facets.nominalTime")
    assert violation.message == 'nominalTime: expected object, got string "yesterday"'


def test_facet_field_of_wrong_type(base_event):
    base_event["run"]["facets"]["nominalTime"]["nominalStartTime"] = 1714561200
    violation = one(validate_event(base_event), "$.run.facets.nominalTime.nominalStartTime")
    assert violation.message == "nominalStartTime: expected string, got number 1714561200"


def test_facet_map_of_wrong_type(base_event):
    base_event["run"]["facets"] = ["nominalTime"]
    assert paths(validate_event(base_event)) == {"$.run.facets"}


def test_long_values_are_truncated(base_event):
    base_event["eventType"] = "X" * 5000
    message = one(validate_event(base_event), "$.eventType").message
    assert len(message) < 300
    assert "…" in message


def nested_fields(depth: int, leaf_type: Any = "string") -> list[dict[str, Any]]:
    field: dict[str, Any] = {"name": "leaf", "type": leaf_type}
    for level in range(depth):
        field = {"name": f"f{level}", "type": "struct", "fields": [field]}
    return [field]


def test_nested_schema_fields(base_event, make_facet):
    url = f"{FACETS}/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
    base_event["outputs"][0]["facets"]["schema"] = make_facet(url, fields=nested_fields(20))
    assert validate_event(base_event) == []
    base_event["outputs"][0]["facets"]["schema"]["fields"] = nested_fields(3, leaf_type=7)
    leaf = "$.outputs[0].facets.schema" + ".fields[0]" * 4 + ".type"
    assert paths(validate_event(base_event)) == {leaf}


def test_absurdly_deep_event_is_rejected_not_raised(base_event, make_facet):
    url = f"{FACETS}/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
    base_event["outputs"][0]["facets"]["schema"] = make_facet(url, fields=nested_fields(5000))
    assert validate_event(base_event) == [Violation("$", "event: nested too deeply to validate")]


def test_odd_keys_are_quoted_in_paths(base_event):
    base_event["run"]["facets"]["spark.logicalPlan"] = {"plan": []}
    violations = validate_event(base_event)
    assert paths(violations) == {
        "$.run.facets['spark.logicalPlan']._producer",
        "$.run.facets['spark.logicalPlan']._schemaURL",
    }


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


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2020-12-28T19:51:01Z", True),
        ("2020-12-28T19:51:01.641499Z", True),
        ("2020-12-28T19:51:01.123456789+05:30", True),
        ("2020-12-28t19:51:01z", True),
        ("2024-02-29T00:00:00-00:00", True),
        ("2020-12-28T19:51:01", False),
        ("2020-12-28T19:51:01Z\n", False),
        ("2020-12-28 19:51:01Z", False),
        ("2020-12-28T19:51:01+0530", False),
        ("2020-12-28", False),
        ("2023-02-29T00:00:00Z", False),
        ("2020-13-01T00:00:00Z", False),
        ("2020-12-28T24:00:00Z", False),
        ("2020-12-28T23:60:00Z", False),
        ("0000-01-01T00:00:00Z", False),
        ("\uff12\uff10\uff12\uff10-12-28T19:51:01Z", False),  # fullwidth digits
    ],
)
def test_date_time_format(value, valid):
    assert formats.is_date_time(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/client", True),
        ("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent", True),
        ("http://test.schema.url", True),
        ("s3://bucket/key%20with%20space", True),
        ("file:/data/x.parquet", True),
        ("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", True),
        ("postgres://user@[::1]:5432/db?x=1", True),
        ("string", False),
        ("https://example.com\n", False),
        ("/relative/path", False),
        ("https://exa mple.com", False),
        ("https://example.com/a#b#c", False),
        ("https://example.com/ä", False),
        ("1http://x", False),
    ],
)
def test_uri_format_is_an_annotation(base_event, make_facet, value, valid):
    # `valid` is whether `value` is an RFC 3986 URI; `format: uri` is not asserted (see
    # lineage.validation.formats), so every string is accepted, by the fast path and by jsonschema.
    source = f"{FACETS}/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet"
    location = f"{FACETS}/1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet"
    base_event["producer"] = value
    base_event["run"]["facets"]["nominalTime"]["_producer"] = value
    base_event["inputs"][0]["facets"]["dataSource"] = make_facet(source, name="db", uri=value)
    base_event["job"]["facets"] = {
        "sourceCodeLocation": make_facet(location, type="git", url=value)
    }
    assert validate_event(base_event) == []
    assert _verdicts(base_event) == (True, True)


def test_only_uuid_and_date_time_are_asserted():
    assert set(formats.format_checker().checkers) == set(formats.ASSERTED_FORMATS)
    assert set(formats.ASSERTED_FORMATS) == {"uuid", "date-time"}


def test_uri_field_still_needs_its_type(base_event, make_facet):
    source = f"{FACETS}/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet"
    base_event["inputs"][0]["facets"]["dataSource"] = make_facet(source, uri=7)
    base_event["producer"] = None
    assert paths(validate_event(base_event)) == {
        "$.producer",
        "$.inputs[0].facets.dataSource.uri",
    }


@pytest.mark.parametrize(
    ("name", "placeholders"),
    [
        ("marquez/event_full.json", ["inputs", 0, "facets", "dataSource", "uri"]),
        ("marquez/event_additional_facet.json", ["job", "facets", "sourceCodeLocation", "url"]),
        ("marquez/event_large.json", ["outputs", 0, "facets", "dataSource", "uri"]),
        ("fluentd-proxy/event_full.json", ["inputs", 0, "facets", "dataSource", "uri"]),
        ("generic/simple_run_event.json", ["producer"]),
    ],
)
def test_uri_placeholders_in_samples_are_accepted(load_sample, name, placeholders):
    event = load_sample(name)
    value = event
    for part in placeholders:
        value = value[part]
    assert value in ("string", "producer")  # a placeholder, no URI
    violations = validate_event(event)
    assert not [v for v in violations if v.path.endswith((".uri", ".url", "producer"))]
    assert validate_event(normalize_event(event)[0]) == []


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("ea041791-68bc-4ae1-bd89-4c8106a157e4", True),
        ("EA041791-68BC-4AE1-BD89-4C8106A157E4", True),
        ("ea04179168bc4ae1bd894c8106a157e4", False),
        ("{ea041791-68bc-4ae1-bd89-4c8106a157e4}", False),
        ("run_id", False),
    ],
)
def test_uuid_format(value, valid):
    assert formats.is_uuid(value) is valid


# --- schemas, registry, caching -----------------------------------------------------------


def test_every_published_core_version_is_vendored():
    versions = set(documents.core_documents())
    expected = {"1-0-0", "1-0-1", "1-0-2", "1-0-3", "1-0-4", "1-0-5", "2-0-0", "2-0-1", "2-0-2"}
    assert versions == expected


def all_schema_refs() -> list[tuple[str, ...]]:
    """Every schema a validator can be built for: cores, every facet version, our facets."""
    refs = [
        targets.core_refs(version, kind)
        for version in documents.core_documents()
        for kind in targets.EVENT_KINDS
        if kind in documents.core_definitions(version)
    ]
    for (place, _), facet in standard.standard_facets().items():
        refs.append((documents.envelopes()["2-0-2"][1][place],))
        for version, stem in documents.facet_documents():
            if stem == facet.file:
                url = f"{FACETS}/{version}/{stem}.json"
                refs.append(standard.standard_facet_refs(facet, url))
        for version in ("1-0-0", "1-0-1"):
            for name in facet.definitions:
                url = f"https://openlineage.io/spec/{version}/OpenLineage.json#/definitions/{name}"
                refs.append(standard.standard_facet_refs(facet, url))
    refs += [targets.keyed_facet_refs("2-0-2", "run", key, None) for key in FACET_KEYS]
    return sorted(set(refs))


def test_every_schema_compiles_and_resolves_offline():
    # Compiling resolves every reachable $ref eagerly, through the registry only.
    refs = all_schema_refs()
    assert len(refs) > 100
    for ref in refs:
        assert compiled.fast_check(ref) is not predicates.never, ref
        validators.validator(ref).check_schema(validators.validator(ref).schema)


def test_nothing_is_fetched(monkeypatch, sample_paths, load_sample):
    def no_network(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    cached = (documents.registry, validators.validator, compiled.fast_check)
    for function in (*cached, compiled.compiler, standard.defined_properties):
        function.cache_clear()
    for name in sample_paths("literal") + sample_paths("invalid"):
        event, _ = normalize_event(load_sample(name))
        assert paths(validate_event(event)) == INVALID.get(name, set()), name


def test_first_use_from_many_threads(sample_paths, load_sample):
    events = [normalize_event(load_sample(name))[0] for name in sample_paths("literal")]
    expected = [validate_event(event) for event in events]
    for function in (validators.validator, compiled.fast_check, compiled.compiler):
        function.cache_clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(validate_event, events * 4))
    assert results == expected * 4


def test_validators_are_built_once(load_sample):
    event = load_sample("python-client/example_full_event.json")
    validate_event(event)
    before = (compiled.fast_check.cache_info().misses, validators.validator.cache_info().misses)
    for _ in range(3):
        validate_event(copy.deepcopy(event))
    after = (compiled.fast_check.cache_info().misses, validators.validator.cache_info().misses)
    assert before == after


# --- the compiled fast path agrees with jsonschema ----------------------------------------

MUTATIONS = (None, 0, 1.5, True, "x", "2020-01-01T00:00:00Z", [], {})
_DELETE = object()


def _locations(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _locations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _locations(item, (*path, index))
    return found


def _mutated(event: Any, path: tuple, replacement: Any) -> Any:
    event = copy.deepcopy(event)
    holder = event
    for part in path[:-1]:
        holder = holder[part]
    if replacement is _DELETE:
        del holder[path[-1]]
    else:
        holder[path[-1]] = replacement
    return event


def _verdicts(event: dict[str, Any]) -> tuple[bool, bool]:
    version, kind = core_schema_for(event)
    fast = compiled.is_valid(event, version, kind)
    full = not any(
        next(iter(validators.validator(refs).iter_errors(instance)), None)
        for _, instance, refs in targets.targets(event, version, kind)
    )
    return fast, full


@pytest.mark.parametrize(
    "name",
    [
        "python-client/example_full_event.json",
        "marquez/event_full.json",
        "marquez/event_dataset_event.json",
        "marquez/event_job_event.json",
        "python-client/serde_example_run_event.json",
        "fluentd-proxy/test-complete.json",
    ],
)
def test_fast_path_agrees_with_jsonschema(load_sample, name):
    event = normalize_event(load_sample(name))[0]
    assert _verdicts(event) == (True, True)
    outcomes = []
    for path in _locations(event):
        for replacement in (_DELETE, *MUTATIONS):
            outcomes.append((path, replacement, *_verdicts(_mutated(event, path, replacement))))
    assert [outcome for outcome in outcomes if outcome[2] != outcome[3]] == []
    assert {outcome[2] for outcome in outcomes} == {True, False}


def test_fast_path_agrees_on_our_facets(base_event, make_facet):
    base_event["run"]["facets"].update(mlaudit_facets(make_facet))
    assert _verdicts(base_event) == (True, True)
    outcomes = []
    for path in _locations(base_event["run"]["facets"], ("run", "facets")):
        for replacement in (_DELETE, *MUTATIONS):
            outcomes.append(
                (path, replacement, *_verdicts(_mutated(base_event, path, replacement)))
            )
    assert [outcome for outcome in outcomes if outcome[2] != outcome[3]] == []
    assert {outcome[2] for outcome in outcomes} == {True, False}
