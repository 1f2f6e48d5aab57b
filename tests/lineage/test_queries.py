"""Trace, impact, history and events over a complete ML history, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import sys

import pytest
from scenario import ml_history

from lineage.errors import NotFoundError
from lineage.privacy import pseudonym_for
from lineage.queries import dataset_history, impact, list_events, trace
from lineage.rebuild import rebuild_projections


@pytest.fixture
def history_store(store, kit):  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    return store


def psn(store, name: str) -> str:  # type: ignore[no-untyped-def]
    """How the store records a person: their pseudonym under the store's key."""
    return pseudonym_for(name, store.keys.pseudonym_key())


def names(items: list[dict]) -> list[tuple[str, str | None, int]]:
    return sorted((d["name"], d["version"], d["depth"]) for d in items)


def test_trace_reaches_raw_source_through_every_hop(history_store) -> None:  # type: ignore[no-untyped-def]
    result = trace(history_store.engine, "model", version="m1")
    assert names(result["datasets"]) == [
        ("clean", "c1", 1),
        ("model", "m1", 0),
        ("raw", "r1", 2),
        ("source.csv", None, 3),
    ]
    assert [s["name"] for s in result["sources"]] == ["source.csv"]
    jobs = sorted(r["job"] for r in result["runs"])
    assert jobs == ["test/clean", "test/ingest", "test/train"]
    training = next(r for r in result["runs"] if r["job"] == "test/train")["training"]
    assert training == {"algorithm": "logistic_regression", "hyperparameters": {"C": 1.0}}
    people = {psn(history_store, n) for n in ("alice", "bob", "carol")}
    assert {a["actor"] for a in result["actors"]} == people
    assert result["evaluations"][0]["metrics"] == {"accuracy": 0.95}


def test_trace_defaults_to_newest_version_and_shows_rollback(history_store) -> None:  # type: ignore[no-untyped-def]
    result = trace(history_store.engine, "model")
    assert result["model"]["version"] == "m2"
    assert ("clean", "c2", 1) in names(result["datasets"])
    actions = [(d["version"], d["action"], d["valid_to"] is None) for d in result["deployments"]]
    assert actions == [("m1", "deploy", False), ("m2", "update", False), ("m1", "rollback", True)]
    assert [(d["environment"], d["version"]) for d in result["live"]] == [("production", "m1")]


def test_trace_as_of_shows_the_past(history_store) -> None:  # type: ignore[no-untyped-def]
    result = trace(history_store.engine, "model", as_of="2026-01-02T10:01:30Z")
    assert result["model"]["version"] == "m2"
    assert [(d["version"], d["valid_to"]) for d in result["live"]] == [("m1", None)]
    earlier = trace(history_store.engine, "model", as_of="2026-01-01T12:00:00+00:00")
    assert earlier["model"]["version"] == "m1"
    assert [d["action"] for d in earlier["deployments"]] == ["deploy"]


def test_as_of_a_deletion_not_yet_made_shows_nothing_deleted(history_store) -> None:  # type: ignore[no-untyped-def]
    def raw_deleted(result: dict, key: str) -> list:
        return [d["deleted_at"] for d in result[key] if d["name"] == "raw"]

    engine, deleted = history_store.engine, "2026-01-04T00:00:00.000000Z"
    assert raw_deleted(trace(engine, "model", version="m1"), "datasets") == [deleted]
    before = trace(engine, "model", version="m1", as_of="2026-01-03T23:59:59Z")
    assert raw_deleted(before, "datasets") == [None]
    assert raw_deleted(trace(engine, "model", version="m1", as_of=deleted), "datasets") == [deleted]
    source = {"dataset": "source.csv"}
    assert raw_deleted(impact(engine, **source), "datasets") == [deleted]
    earlier = impact(engine, **source, as_of="2026-01-03T00:00:00Z")
    assert raw_deleted(earlier, "datasets") == raw_deleted(earlier, "versions") == [None]


def test_impact_lists_derived_data_models_and_deployments(history_store) -> None:  # type: ignore[no-untyped-def]
    result = impact(history_store.engine, "raw")
    assert [(d["name"], d["versions"], d["nearest_depth"]) for d in result["datasets"]] == [
        ("clean", 2, 1)
    ]
    assert result["datasets"][0]["latest_version"] == "c2"
    assert [(m["name"], m["versions"], m["latest_version"]) for m in result["models"]] == [
        ("model", 2, "m2")
    ]
    assert names(result["versions"]) == [
        ("clean", "c1", 1),
        ("clean", "c2", 1),
        ("model", "m1", 2),
        ("model", "m2", 2),
    ]
    live = [(d["version"], d["action"]) for d in result["deployments"] if d["live"]]
    assert live == [("m1", "rollback")]
    assert result["totals"] == {
        "versions": 4,
        "datasets": 1,
        "dataset_versions": 2,
        "models": 1,
        "model_versions": 2,
        "deployments": len(result["deployments"]),
        "live_deployments": 1,
        "deployments_not_listed": 0,
    }


def test_impact_lists_live_deployments_and_the_latest_ended(history_store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """m1 deployed, m2 replaced it, m1 rolled back: with one ended deployment listed, the older
    ended one (the first deploy) is counted but not listed; the live one always is."""
    monkeypatch.setattr(sys.modules["lineage.queries.impact"], "ENDED_LISTED", 1)
    result = impact(history_store.engine, "raw")
    listed = [(d["version"], d["action"], d["live"]) for d in result["deployments"]]
    assert listed == [("m2", "update", False), ("m1", "rollback", True)]
    totals = result["totals"]
    assert (totals["deployments"], totals["live_deployments"]) == (3, 1)
    assert totals["deployments_not_listed"] == 1
    monkeypatch.setattr(sys.modules["lineage.queries.impact"], "ENDED_LISTED", 0)
    only_live = impact(history_store.engine, "raw")["deployments"]
    assert [(d["version"], d["live"]) for d in only_live] == [("m1", True)]


def test_impact_pages_versions_nearest_first_newest_first(history_store) -> None:  # type: ignore[no-untyped-def]
    engine = history_store.engine
    pages = [impact(engine, "raw", limit=3, offset=offset)["versions"] for offset in (0, 3)]
    order = [(v["name"], v["version"], v["depth"]) for page in pages for v in page]
    assert order == [("clean", "c2", 1), ("clean", "c1", 1), ("model", "m2", 2), ("model", "m1", 2)]
    models = impact(engine, "raw", kind="MODEL", limit=1, offset=1)
    assert [v["version"] for v in models["versions"]] == ["m1"]
    assert models["page"] == {"offset": 1, "limit": 1, "total": 2, "kind": "MODEL"}
    assert len(models["datasets"]) == 1  # the summaries do not depend on the page


def test_impact_as_of_leaves_out_what_came_later(history_store) -> None:  # type: ignore[no-untyped-def]
    early = impact(history_store.engine, "raw", as_of="2026-01-01T12:00:00+00:00")
    assert names(early["versions"]) == [("clean", "c1", 1), ("model", "m1", 2)]
    assert [(d["version"], d["action"], d["live"]) for d in early["deployments"]] == [
        ("m1", "deploy", True)
    ]


def test_history_names_who_did_what(history_store) -> None:  # type: ignore[no-untyped-def]
    result = dataset_history(history_store.engine, "raw")
    actions = [(a["action"], a["actor"], a["version"]) for a in result["access"]]
    alice, bob, dave = (psn(history_store, n) for n in ("alice", "bob", "dave"))
    assert actions == [
        ("create", alice, "r1"),
        ("read", alice, "r1"),
        ("read", bob, "r1"),
        ("delete", dave, "r1"),
    ]
    assert result["dataset"]["deleted_at"] == "2026-01-04T00:00:00.000000Z"
    clean = [a["action"] for a in dataset_history(history_store.engine, "clean")["access"]]
    assert clean == ["create", "read", "modify", "read"]


def test_events_filter_by_category_actor_and_time(history_store) -> None:  # type: ignore[no-untyped-def]
    engine = history_store.engine
    assert [e["seq"] for e in list_events(engine, category="deployment")] == [5, 8, 9]
    bob = psn(history_store, "bob")
    assert {e["actor"] for e in list_events(engine, actor=bob)} == {bob}
    assert len(list_events(engine, since="2026-01-03T00:00:00Z")) == 2
    assert len(list_events(engine, limit=3)) == 3
    assert list_events(engine, after_seq=8)[0]["seq"] == 9


def test_unknown_names_raise_clear_errors(history_store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError, match="no dataset or model named 'nope'"):
        trace(history_store.engine, "nope")
    with pytest.raises(NotFoundError, match="has no version 'm9'"):
        trace(history_store.engine, "model", version="m9")


def test_projection_is_order_independent_and_rebuildable(store, kit) -> None:  # type: ignore[no-untyped-def]
    events = ml_history(kit)
    random.Random(7).shuffle(events)
    for event in events:
        store.ingest([event])
    shuffled = trace(store.engine, "model", version="m1")
    rebuild_projections(store.engine)
    rebuilt = trace(store.engine, "model", version="m1")
    assert names(shuffled["datasets"]) == names(rebuilt["datasets"])
    assert names(rebuilt["datasets"])[0] == ("clean", "c1", 1)
    assert [d["action"] for d in rebuilt["deployments"]] == ["deploy", "update", "rollback"]


def test_events_name_the_account_that_sent_them(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest([kit.event("etl", "job", time="2026-01-01T00:00:00Z")], submitter="airflow")
    store.ingest([kit.event("etl", "job", time="2026-01-02T00:00:00Z")])
    sent = [e["submitter"] for e in list_events(store.engine)]
    assert sent == [psn(store, "airflow"), None]
