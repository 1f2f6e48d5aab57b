"""Normalisation of dataQualityMetrics facets without columnMetrics."""

from __future__ import annotations

import pytest
from normalize_support import (
    DQ_DATASET_URL,
    DQ_INPUT_URL,
    NO_COLUMN_METRICS,
)

from lineage.normalize import normalize_event
from lineage.validation import validate_event
from lineage.validation.targets import any_facet_named, facet_maps

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


# --- the cheap look before the walk ------------------------------------------------------------

KINDS = ("RunEvent", "JobEvent", "DatasetEvent")


def _facet_names(event: object) -> set[str]:
    return {
        name
        for kind in KINDS
        for _, _, facets in facet_maps(event, kind)  # type: ignore[arg-type]
        for name in facets
    }


def _agrees(event: object) -> None:
    if not isinstance(event, dict):
        return
    for name in _facet_names(event) | {"dataQualityMetrics", "absent"}:
        found = any(name in facets for k in KINDS for _, _, facets in facet_maps(event, k))
        assert any_facet_named(event, name) == found, name


def test_any_facet_named_answers_as_facet_maps_on_every_sample(literal_sample, load_sample):
    _agrees(load_sample(literal_sample))


def test_any_facet_named_answers_as_facet_maps_on_invalid_samples(invalid_sample, load_sample):
    _agrees(load_sample(invalid_sample))


@pytest.mark.parametrize(
    "place",
    [
        ("run", "facets"),
        ("job", "facets"),
        ("dataset", "facets"),
        ("inputs", 0, "facets"),
        ("inputs", 1, "inputFacets"),
        ("outputs", 0, "outputFacets"),
    ],
)
def test_any_facet_named_finds_each_place(base_event, place):
    event = {**base_event, "dataset": {"namespace": "n", "name": "d"}}
    event["inputs"] = [{"namespace": "n", "name": "a"}, {"namespace": "n", "name": "b"}]
    event["outputs"] = [{"namespace": "n", "name": "c"}]
    holder = event
    for step in place[:-1]:
        holder = holder[step]
    holder[place[-1]] = {"dataQualityMetrics": {}}
    assert any_facet_named(event, "dataQualityMetrics")
    holder[place[-1]] = {"other": {}}
    assert not any_facet_named(event, "dataQualityMetrics")
