from __future__ import annotations

from typing import Any

import pytest
from validation_support import FACETS, INVALID, one, paths

from lineage.normalize import normalize_event
from lineage.validation import (
    Violation,
    validate_event,
)

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
