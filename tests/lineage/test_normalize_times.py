"""Normalisation of times: event time and nominal times."""

from __future__ import annotations

import pytest
from normalize_support import (
    nominal,
)

from lineage.normalize import normalize_event
from lineage.validation import validate_event

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
