from __future__ import annotations

import copy
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from lineage.normalize import normalize_event
from lineage.validation import validate_event

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


# --- event time ---------------------------------------------------------------------------


def test_event_time_without_offset_is_read_as_utc(base_event):
    base_event["eventTime"] = "2020-12-28T19:51:01.641499"
    out, notes = normalize_event(base_event)
    assert out["eventTime"] == "2020-12-28T19:51:01.641499Z"
    assert notes == ["eventTime: no UTC offset, read as UTC"]
    assert validate_event(out) == []


def test_event_time_without_fraction_or_offset(base_event):
    base_event["eventTime"] = "2020-12-28T19:51:01"
    out, _ = normalize_event(base_event)
    assert out["eventTime"] == "2020-12-28T19:51:01Z"


def test_nanoseconds_are_truncated_to_microseconds(base_event):
    base_event["eventTime"] = "2020-12-28T19:51:01.123456789+02:00"
    out, notes = normalize_event(base_event)
    assert out["eventTime"] == "2020-12-28T19:51:01.123456+02:00"
    assert notes == [
        "eventTime: fractional seconds beyond microseconds truncated"
        " (was 2020-12-28T19:51:01.123456789+02:00)"
    ]


def test_nanoseconds_without_offset(base_event):
    base_event["eventTime"] = "2020-12-28T19:51:01.999999999"
    out, notes = normalize_event(base_event)
    assert out["eventTime"] == "2020-12-28T19:51:01.999999Z"  # truncated, never rounded up
    assert len(notes) == 2


@pytest.mark.parametrize(
    "value",
    [
        "2020-12-28T19:51:01Z",
        "2020-12-28T19:51:01.641499Z",
        "2020-12-28T19:51:01.6-05:00",
        "2020-12-28T19:51:01+0200",  # offset without a colon: not ours to reinterpret
        "2020-12-28 19:51:01",  # space separator: not in the list of drift we fix
        "2023-02-29T10:00:00",  # no such day: appending Z would not make it valid
        "2020-12-28",  # a date-only eventTime is not the nominalTime drift
        "1609185061",
        "2020-12-28T19:51:01\n",
        "",
    ],
)
def test_event_time_left_alone(base_event, value):
    base_event["eventTime"] = value
    out, notes = normalize_event(base_event)
    assert out["eventTime"] == value
    assert notes == []


# --- nominal time -------------------------------------------------------------------------


def test_date_only_nominal_times_become_midnight_utc(base_event):
    nominal(base_event).update(nominalStartTime="2020-01-01", nominalEndTime="2020-01-02")
    out, notes = normalize_event(base_event)
    assert nominal(out)["nominalStartTime"] == "2020-01-01T00:00:00Z"
    assert nominal(out)["nominalEndTime"] == "2020-01-02T00:00:00Z"
    assert notes == [
        "run.facets.nominalTime.nominalStartTime: date only, read as 2020-01-01T00:00:00Z",
        "run.facets.nominalTime.nominalEndTime: date only, read as 2020-01-02T00:00:00Z",
    ]
    assert validate_event(out) == []


def test_nominal_times_without_offset_and_with_nanoseconds(base_event):
    nominal(base_event).update(
        nominalStartTime="2020-01-01T03:00:00", nominalEndTime="2020-01-01T04:00:00.000000001Z"
    )
    out, notes = normalize_event(base_event)
    assert nominal(out)["nominalStartTime"] == "2020-01-01T03:00:00Z"
    assert nominal(out)["nominalEndTime"] == "2020-01-01T04:00:00.000000Z"
    assert notes == [
        "run.facets.nominalTime.nominalStartTime: no UTC offset, read as UTC",
        "run.facets.nominalTime.nominalEndTime: fractional seconds beyond microseconds truncated"
        " (was 2020-01-01T04:00:00.000000001Z)",
    ]


def test_invalid_date_only_nominal_time_left_alone(base_event):
    nominal(base_event)["nominalStartTime"] = "2021-02-30"
    out, notes = normalize_event(base_event)
    assert nominal(out)["nominalStartTime"] == "2021-02-30"
    assert notes == []
    assert [v.path for v in validate_event(out)] == ["$.run.facets.nominalTime.nominalStartTime"]


def test_other_times_are_not_touched(base_event, make_facet):
    base_event["run"]["facets"]["myorg_window"] = make_facet("urn:x", start="2020-01-01")
    base_event["job"]["facets"] = {
        "nominalTime": make_facet("urn:x", nominalStartTime="2020-01-01")
    }
    out, notes = normalize_event(base_event)
    assert out == base_event
    assert notes == []


# --- schemaURL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "kind"),
    [
        ({"run": {}, "job": {}}, "RunEvent"),
        ({"job": {}}, "JobEvent"),
        ({"dataset": {}}, "DatasetEvent"),
    ],
)
def test_missing_schema_url_by_kind(shape, kind):
    out, notes = normalize_event({"eventTime": "2024-05-01T12:00:00Z", **shape})
    url = f"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/{kind}"
    assert out["schemaURL"] == url
    assert notes == [f"schemaURL: missing, set to {url}"]


def test_null_schema_url(base_event):
    base_event["schemaURL"] = None
    out, notes = normalize_event(base_event)
    assert out["schemaURL"] == RUN_EVENT_2_0_2
    assert notes == [f"schemaURL: null, set to {RUN_EVENT_2_0_2}"]


def test_present_schema_url_is_kept_even_if_unknown(base_event):
    base_event["schemaURL"] = "http://test.schema.url"
    out, notes = normalize_event(base_event)
    assert out["schemaURL"] == "http://test.schema.url"
    assert notes == []


def test_shapeless_event_gets_no_schema_url():
    out, notes = normalize_event({"eventTime": "2024-05-01T12:00:00Z"})
    assert "schemaURL" not in out
    assert notes == []


# --- run id -------------------------------------------------------------------------------


def test_non_uuid_run_id_becomes_uuid5(base_event):
    base_event["run"]["runId"] = "run_id"
    out, notes = normalize_event(base_event)
    expected = str(uuid5(NAMESPACE_URL, "openlineage-run:run_id"))
    assert out["run"]["runId"] == expected
    assert notes == [
        'run.runId: "run_id" is not a UUID, replaced by '
        f'uuid5(NAMESPACE_URL, "openlineage-run:" + original) = {expected}'
    ]
    assert validate_event(out) == []


def test_run_id_mapping_is_stable_across_events(base_event):
    first, second = copy.deepcopy(base_event), copy.deepcopy(base_event)
    first["run"]["runId"] = second["run"]["runId"] = "dagster-run-9f2c"
    second["eventType"] = "START"
    assert normalize_event(first)[0]["run"]["runId"] == normalize_event(second)[0]["run"]["runId"]


@pytest.mark.parametrize(
    "run_id",
    [
        "ea041791-68bc-4ae1-bd89-4c8106a157e4",
        "EA041791-68BC-4AE1-BD89-4C8106A157E4",
        "",  # names no run: mapping it would merge unrelated runs
        "   ",
        42,
        None,
    ],
)
def test_run_id_left_alone(base_event, run_id):
    base_event["run"]["runId"] = run_id
    out, notes = normalize_event(base_event)
    assert out["run"]["runId"] == run_id
    assert notes == []


def mapped(run_id: str) -> str:
    return str(uuid5(NAMESPACE_URL, "openlineage-run:" + run_id))


def parent_facet(make_facet, run_id: Any, root_run_id: Any = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"run": {"runId": run_id}, "job": {"namespace": "n", "name": "p"}}
    if root_run_id is not None:
        fields["root"] = {"run": {"runId": root_run_id}, "job": {"namespace": "n", "name": "r"}}
    return make_facet(PARENT_URL, **fields)


def test_parent_run_id_is_mapped_like_a_run_id(base_event, make_facet):
    base_event["run"]["facets"]["parent"] = parent_facet(make_facet, "parent-run")
    out, notes = normalize_event(base_event)
    assert out["run"]["facets"]["parent"]["run"]["runId"] == mapped("parent-run")
    assert notes == [
        'run.facets.parent.run.runId: "parent-run" is not a UUID, replaced by '
        f'uuid5(NAMESPACE_URL, "openlineage-run:" + original) = {mapped("parent-run")}'
    ]
    assert validate_event(out) == []
    # Without normalize it stays a violation.
    assert [v.path for v in validate_event(base_event)] == ["$.run.facets.parent.run.runId"]


def test_root_run_id_is_mapped_too(base_event, make_facet):
    uuid = "ea041791-68bc-4ae1-bd89-4c8106a157e4"
    base_event["run"]["facets"]["parent"] = parent_facet(make_facet, uuid, "root-run")
    out, notes = normalize_event(base_event)
    parent = out["run"]["facets"]["parent"]
    assert parent["run"]["runId"] == uuid
    assert parent["root"]["run"]["runId"] == mapped("root-run")
    assert [note.split(":")[0] for note in notes] == ["run.facets.parent.root.run.runId"]
    assert validate_event(out) == []


def test_parent_link_survives_mapping(base_event, make_facet):
    """A child's parent id and the parent's own run id map to the same UUID, in any event."""
    parent_event = copy.deepcopy(base_event)
    parent_event["run"]["runId"] = "dagster-run-42"
    child = copy.deepcopy(base_event)
    child["run"]["runId"] = "dagster-run-42.step-1"
    child["run"]["facets"]["parent"] = parent_facet(make_facet, "dagster-run-42", "dagster-run-42")
    parent_out, _ = normalize_event(parent_event)
    child_out, notes = normalize_event(child)
    parent_id = parent_out["run"]["runId"]
    assert child_out["run"]["facets"]["parent"]["run"]["runId"] == parent_id
    assert child_out["run"]["facets"]["parent"]["root"]["run"]["runId"] == parent_id
    assert child_out["run"]["runId"] == mapped("dagster-run-42.step-1") != parent_id
    assert len(notes) == 3
    assert validate_event(child_out) == validate_event(parent_out) == []


@pytest.mark.parametrize("run_id", ["ea041791-68bc-4ae1-bd89-4c8106a157e4", "", "  ", 7, None])
def test_parent_run_id_left_alone(base_event, make_facet, run_id):
    base_event["run"]["facets"]["parent"] = parent_facet(make_facet, run_id, run_id)
    out, notes = normalize_event(base_event)
    assert out == base_event
    assert notes == []


@pytest.mark.parametrize("parent", [{"run": "x"}, {"run": {"noRunId": "x"}}, "parent", []])
def test_malformed_parent_is_left_for_validation(base_event, parent):
    base_event["run"]["facets"]["parent"] = parent
    out, notes = normalize_event(base_event)
    assert out == base_event
    assert notes == []


# --- dataQualityMetrics without columnMetrics -----------------------------------------------


def test_input_data_quality_metrics_without_column_metrics(base_event, make_facet):
    facet = make_facet(DQ_INPUT_URL, rowCount=10, bytes=2048, fileCount=1)
    base_event["inputs"][0]["inputFacets"] = {"dataQualityMetrics": facet}
    assert [v.path for v in validate_event(base_event)] == [
        "$.inputs[0].inputFacets.dataQualityMetrics.columnMetrics"
    ]
    out, notes = normalize_event(base_event)
    assert out["inputs"][0]["inputFacets"]["dataQualityMetrics"] == {**facet, "columnMetrics": {}}
    assert notes == [f"inputs[0].inputFacets.dataQualityMetrics: {NO_COLUMN_METRICS}"]
    assert validate_event(out) == []
    assert "columnMetrics" not in facet  # the input is never mutated


@pytest.mark.parametrize("side", ["inputs", "outputs"])
def test_dataset_data_quality_metrics_without_column_metrics(base_event, make_facet, side):
    facet = make_facet(DQ_DATASET_URL, rowCount=10, lastUpdated="2024-05-01T12:00:00Z")
    base_event[side][0]["facets"]["dataQualityMetrics"] = facet
    out, notes = normalize_event(base_event)
    assert out[side][0]["facets"]["dataQualityMetrics"]["columnMetrics"] == {}
    assert notes == [f"{side}[0].facets.dataQualityMetrics: {NO_COLUMN_METRICS}"]
    assert validate_event(out) == []
    other = {"inputs": "outputs", "outputs": "inputs"}[side]
    assert out[other] is base_event[other]  # only the containers along the change are copied
    assert out[side] is not base_event[side]


def test_dataset_event_data_quality_metrics(make_facet):
    event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": "https://github.com/mlaudit/mlaudit",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {
            "namespace": "file",
            "name": "/data/x",
            "facets": {"dataQualityMetrics": make_facet(DQ_DATASET_URL, _deleted=False)},
        },
    }
    out, notes = normalize_event(event)
    assert out["dataset"]["facets"]["dataQualityMetrics"]["columnMetrics"] == {}
    assert notes == [f"dataset.facets.dataQualityMetrics: {NO_COLUMN_METRICS}"]
    assert validate_event(out) == []


def test_data_quality_metrics_with_an_unknown_property_is_not_filled(base_event, make_facet):
    # `noRowCount` (a typo of rowCount) is no property of the schema: not a well-formed facet,
    # so reading it as "no column metrics" would be a guess. It stays invalid.
    facet = make_facet(DQ_INPUT_URL, noRowCount=10, bytes=2048)
    base_event["inputs"][0]["inputFacets"] = {"dataQualityMetrics": facet}
    out, notes = normalize_event(base_event)
    assert out == base_event
    assert notes == []
    assert [v.path for v in validate_event(out)] == [
        "$.inputs[0].inputFacets.dataQualityMetrics.columnMetrics"
    ]


def test_upstream_negative_sample_is_not_filled(load_sample):
    event = load_sample("invalid/fluentd-proxy/event_invalid_input_dataset_facet.json")
    out, notes = normalize_event(event)
    assert out == event
    assert notes == []
    assert [v.path for v in validate_event(out)] == [
        "$.inputs[0].inputFacets.dataQualityMetrics.columnMetrics"
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"columnMetrics": {"id": {"nullCount": 0}}},
        {"columnMetrics": None},  # present, if wrong: validation's to report
        {"_deleted": True},  # a deleted dataset facet carries no content
    ],
)
def test_data_quality_metrics_left_alone(base_event, make_facet, fields):
    facet = make_facet(DQ_DATASET_URL, rowCount=1, **fields)
    base_event["outputs"][0]["facets"]["dataQualityMetrics"] = facet
    out, notes = normalize_event(base_event)
    assert out == base_event
    assert notes == []


def test_data_quality_metrics_only_where_it_is_standard(base_event, make_facet):
    # At these places `dataQualityMetrics` is a custom facet: there is no schema to read it by.
    facet = make_facet(DQ_INPUT_URL, rowCount=1)
    base_event["outputs"][0]["outputFacets"] = {"dataQualityMetrics": facet}
    base_event["run"]["facets"]["dataQualityMetrics"] = facet
    base_event["inputs"][0]["inputFacets"] = {"dataQualityMetrics": "rows: 1"}
    out, notes = normalize_event(base_event)
    assert out == base_event
    assert notes == []


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("marquez/event_full.json", "inputs[0].inputFacets.dataQualityMetrics"),
        ("fluentd-proxy/event_full.json", "inputs[0].inputFacets.dataQualityMetrics"),
    ],
)
def test_sample_data_quality_metrics_are_filled(load_sample, name, path):
    event = load_sample(name)
    out, notes = normalize_event(event)
    assert notes == [f"{path}: {NO_COLUMN_METRICS}"]
    assert out["inputs"][0]["inputFacets"]["dataQualityMetrics"]["columnMetrics"] == {}
    assert validate_event(out) == []


# --- what is never invented ---------------------------------------------------------------


def test_missing_producer_is_not_invented(base_event):
    del base_event["producer"]
    out, notes = normalize_event(base_event)
    assert "producer" not in out
    assert notes == []
    assert [v.path for v in validate_event(out)] == ["$.producer"]


def test_missing_event_time_is_not_invented(base_event):
    del base_event["eventTime"]
    out, _ = normalize_event(base_event)
    assert "eventTime" not in out


@pytest.mark.parametrize("event", [[], "x", None, 3])
def test_non_object_is_returned_as_is(event):
    assert normalize_event(event) == (event, [])


# --- copying ------------------------------------------------------------------------------


def test_input_is_never_mutated(base_event, make_facet):
    base_event["eventTime"] = "2020-12-28T19:51:01.123456789"
    base_event["run"]["runId"] = "legacy"
    nominal(base_event)["nominalStartTime"] = "2020-01-01"
    base_event["run"]["facets"]["parent"] = parent_facet(make_facet, "legacy-parent", "root")
    base_event["inputs"][0]["inputFacets"] = {"dataQualityMetrics": make_facet(DQ_INPUT_URL)}
    del base_event["schemaURL"]
    before = copy.deepcopy(base_event)
    out, notes = normalize_event(base_event)
    assert base_event == before
    assert len(notes) == 8
    assert validate_event(out) == []
    assert out is not base_event
    assert out["run"] is not base_event["run"]
    assert out["run"]["facets"] is not base_event["run"]["facets"]
    assert nominal(out) is not nominal(base_event)


def test_unchanged_event_is_a_new_equal_dict(base_event):
    out, notes = normalize_event(base_event)
    assert out == base_event
    assert out is not base_event
    assert notes == []


def test_samples_are_not_mutated_and_normalising_is_idempotent(literal_sample, load_sample):
    event = load_sample(literal_sample)
    before = copy.deepcopy(event)
    once, _ = normalize_event(event)
    assert event == before
    twice, notes = normalize_event(once)
    assert twice == once
    assert notes == []


@pytest.mark.parametrize(
    ("name", "notes"),
    [
        ("marquez/event_required_no_timezone.json", ["eventTime: no UTC offset, read as UTC"]),
        # Despite its name this sample has microseconds only: nothing to truncate.
        ("marquez/event_required_nanoseconds.json", []),
        ("marquez/event_simple.json", []),
        ("python-client/serde_example_run_event.json", [
            "eventTime: no UTC offset, read as UTC",
            "run.facets.nominalTime.nominalStartTime: date only, read as 2020-01-01T00:00:00Z",
            "run.facets.nominalTime.nominalEndTime: date only, read as 2020-01-02T00:00:00Z",
        ]),
        ("marquez/apples_1_pick_apples.json", [f"schemaURL: missing, set to {RUN_EVENT_2_0_2}"]),
    ],
)  # fmt: skip
def test_sample_notes(load_sample, name, notes):
    assert normalize_event(load_sample(name))[1] == notes
