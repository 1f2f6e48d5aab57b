"""Normalisation: schemaURL, what is never invented, copying, and the upstream samples' notes."""

from __future__ import annotations

import copy

import pytest
from normalize_support import (
    DQ_INPUT_URL,
    RUN_EVENT_2_0_2,
    nominal,
    parent_facet,
)

from lineage.normalize import normalize_event
from lineage.validation import validate_event

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
