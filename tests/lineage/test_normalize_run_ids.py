"""Normalisation of run ids: non-UUID run ids, parent and root run ids."""

from __future__ import annotations

import copy
from uuid import NAMESPACE_URL, uuid5

import pytest
from normalize_support import (
    mapped,
    parent_facet,
)

from lineage.normalize import normalize_event
from lineage.validation import validate_event

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
