"""Real OpenLineage events from upstream projects: literal ones ingest and trace, bad ones fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage.errors import InvalidEventsError
from lineage.queries import dataset_history, impact, trace

SAMPLES = Path(__file__).parent.parent / "fixtures" / "openlineage"
NOT_EVENTS = {"invalid", "templates", "partial"}
LITERAL = sorted(
    p for p in SAMPLES.rglob("*.json") if not NOT_EVENTS & set(p.relative_to(SAMPLES).parts)
)
INVALID = sorted((SAMPLES / "invalid").rglob("*.json"))


def test_the_sample_set_is_there() -> None:
    assert len(LITERAL) >= 20 and len(INVALID) == 6


def test_every_literal_sample_is_stored_and_its_datasets_are_queryable(store) -> None:  # type: ignore[no-untyped-def]
    events = [json.loads(p.read_text()) for p in LITERAL]
    result = store.ingest(events)
    assert len(result.accepted) == len(LITERAL) and not result.rejected
    # Two pairs are the same event once normalised (fluentd's event_simple is Marquez's; the
    # no-timezone event equals the nanoseconds one in UTC): stored once, reported as duplicates.
    assert (result.stored, result.duplicates) == (len(LITERAL) - 2, 2)
    for event in events:
        for dataset in [*(event.get("inputs") or []), *(event.get("outputs") or [])]:
            history = dataset_history(store.engine, dataset["name"], namespace=dataset["namespace"])
            # A JobEvent declares a job's datasets without a run: known, but not an access.
            assert history["access"] or "run" not in event, dataset["name"]


def test_normalisations_are_recorded_with_the_entry(store) -> None:  # type: ignore[no-untyped-def]
    sample = json.loads((SAMPLES / "marquez" / "event_required_no_timezone.json").read_text())
    store.ingest([sample])
    entry = store.entries()[0]
    assert any("eventTime" in note for note in json.loads(entry["normalizations"]))
    assert entry["event"]["eventTime"].endswith("Z") or "+" in entry["event"]["eventTime"]


def test_marquez_apples_chain_traces_back_to_the_orchard(store) -> None:  # type: ignore[no-untyped-def]
    for name in ("apples_1_pick_apples.json", "apples_2_apple_filling.json"):
        store.ingest([json.loads((SAMPLES / "marquez" / name).read_text())])
    result = trace(store.engine, "apple.filling")
    upstream = {(d["namespace"], d["name"], d["depth"]) for d in result["datasets"]}
    assert ("laurents-orchard", "red.delicious", 2) in upstream
    assert ("grandmas.kitchen", "cinnamon", 1) in upstream
    assert {s["name"] for s in result["sources"]} == {"red.delicious", "cinnamon"}
    downstream = impact(store.engine, "red.delicious")
    assert [d["name"] for d in downstream["datasets"]] == ["apples", "apple.filling"]


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_samples_are_rejected_with_paths_and_nothing_is_written(store, path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidEventsError) as caught:
        store.ingest([json.loads(path.read_text())])
    violations = caught.value.rejected[0].violations
    assert violations and all(v.path.startswith("$") for v in violations)
    assert str(caught.value).startswith("event #0 is invalid: $")
    assert store.count_entries() == 0
