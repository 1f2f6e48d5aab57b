"""The trace's one-statement load of versions, the runs that made them and their chosen facets
gives what the separate lookups give (versions, run_outputs, load_runs with every facet), on
SQLite and PostgreSQL, as of now and of a past moment."""

from __future__ import annotations

from typing import Any

import pytest
from normalize_support import PARENT_URL
from scenario import ml_history
from sqlalchemy import Connection, text

from lineage.queries import trace
from lineage.queries.graph_sql import END_OF_TIME
from lineage.queries.nodes import VERSIONS, chunked_rows, load_runs, load_versions_made

PICKED = ("mlaudit_training", "mlaudit_actor")
OUTPUTS = text("SELECT run_id, version_id FROM run_outputs WHERE event_time <= :as_of")


@pytest.fixture
def runs_store(store, kit):  # type: ignore[no-untyped-def]
    """The ML history, plus: a training run whose facet has text and numbers a JSON round trip
    could change; a run writing two versions, one of them already written by another run; and
    a run with no actor of its own, launched by a run with one."""
    odd = kit.facet(
        "TrainingRunFacet",
        algorithm='gradient "boosting" \\ é 模型 \u2028',
        hyperparameters={"lr": 1e-07, "depth": 12, "big": 2**53 - 1, "steps": [0.1, 2.5e16, -0.0]},
        notes={"empty": {}, "list": [], "none": None},
    )
    parent = kit.facet(
        "ParentRunFacet",
        run={"runId": kit.run_id("train3")},
        job={"namespace": "test", "name": "train"},
    )
    parent["_schemaURL"] = PARENT_URL
    store.ingest(
        [
            *ml_history(kit),
            kit.event(
                "train3",
                "train",
                time="2026-01-05T10:00:00Z",
                actor="erin",
                inputs=[kit.dataset("clean", "c2")],
                outputs=[kit.dataset("model", "m3", model=True)],
                mlaudit_training=odd,
            ),
            kit.event(
                "both",
                "rewrite",
                time="2026-01-06T10:00:00Z",
                inputs=[kit.dataset("model", "m3", model=True)],
                outputs=[kit.dataset("clean", "c2"), kit.dataset("report", "p1")],
                parent=parent,
            ),
        ]
    )
    return store


def _version_ids(conn: Connection) -> list[int]:
    return [row[0] for row in conn.exec_driver_sql("SELECT id FROM dataset_versions")]


def _separately(conn: Connection, ids: list[int], as_of: str) -> tuple[Any, Any, Any]:
    """What the trace used to ask: versions, outputs by as_of, then the runs with all facets."""
    versions = chunked_rows(conn, VERSIONS, ids)
    outputs = [
        {"run_id": run, "version_id": version}
        for run, version in conn.execute(OUTPUTS, {"as_of": as_of})
        if version in ids
    ]
    runs = load_runs(conn, {o["run_id"] for o in outputs})
    for run in runs:
        run["facets"] = {k: run["facets"][k] for k in PICKED if run["facets"].get(k) is not None}
    return versions, outputs, runs


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted(row.items()))


@pytest.mark.parametrize("as_of", [END_OF_TIME, "2026-01-05T12:00:00.000000Z"])
def test_versions_made_match_the_separate_lookups(runs_store, kit, as_of: str) -> None:  # type: ignore[no-untyped-def]
    with runs_store.engine.connect() as conn:
        ids = _version_ids(conn)
        versions, outputs, runs = load_versions_made(conn, ids, as_of, PICKED)
        expected = _separately(conn, ids, as_of)
    assert sorted(map(_key, versions)) == sorted(map(_key, expected[0]))
    assert sorted(map(_key, outputs)) == sorted(map(_key, expected[1]))
    assert runs == expected[2]  # same rows, same order (oldest first)
    made = {(o["run_id"], o["version_id"]) for o in outputs}
    assert len(made) == len(outputs)
    # c2 made twice, "both" made two versions, and its actor is its parent's
    if as_of == END_OF_TIME:
        assert len(outputs) == 8 and len(runs) == 7
        both = next(r for r in runs if r["job"] == "test/rewrite")
        launcher = next(r for r in runs if r["run_id"] == kit.run_id("train3"))
        assert both["actor"] == launcher["actor"] and both["parent_run_id"] == launcher["run_id"]
    else:
        assert len(outputs) == 6 and len(runs) == 6
    odd = [r["facets"]["mlaudit_training"] for r in runs if r["job"] == "test/train"][-1]
    assert odd["hyperparameters"] == {
        "lr": 1e-07,
        "depth": 12,
        "big": 2**53 - 1,
        "steps": [0.1, 2.5e16, -0.0],
    }


def test_trace_shows_the_training_facet_of_the_whole_document(runs_store) -> None:  # type: ignore[no-untyped-def]
    answer = trace(runs_store.engine, "model", version="m3")
    with runs_store.engine.connect() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT run_id FROM runs")]
        full = {r["run_id"]: r["facets"] for r in load_runs(conn, ids)}
    shown = {r["run_id"]: r["training"] for r in answer["runs"]}
    assert len(shown) == 4  # ingest, clean2 and "both" (each made c2), train3
    for run_id, training in shown.items():
        whole = full[run_id].get("mlaudit_training")
        assert training == ({k: v for k, v in whole.items() if k[0] != "_"} if whole else None)
    assert sum(t is not None for t in shown.values()) == 1


def test_only_plain_facet_names_go_into_the_sql(runs_store) -> None:  # type: ignore[no-untyped-def]
    with runs_store.engine.connect() as conn:
        with pytest.raises(ValueError, match="plain facet name"):
            load_versions_made(conn, [1], END_OF_TIME, ("mlaudit_training' OR 1=1 --",))
        with pytest.raises(ValueError, match="at least one"):
            load_versions_made(conn, [1], END_OF_TIME, ())
        assert load_versions_made(conn, [], END_OF_TIME, PICKED) == ([], [], [])
