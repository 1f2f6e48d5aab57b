"""The trace graph condenses deep traces instead of refusing to draw them."""

from __future__ import annotations

from typing import Any

from ui.components.graph import MAX_NODES, trace_graph


def chain_trace(hops: int, *, people: int = 1, names: int = 0) -> dict[str, Any]:
    """A model at the end of `hops` runs, each reading the previous dataset version; with
    `names`, the datasets before the model reuse that many names (version after version)."""

    def name(i: int) -> str:
        return f"d{i % names}" if names and i < hops else f"d{i}"

    datasets = [
        {
            "namespace": "warehouse",
            "name": name(i),
            "version": f"v{i}",
            "kind": "MODEL" if i == hops else "DATASET",
            "depth": hops - i,
            "deleted_at": None,
        }
        for i in range(hops + 1)
    ]
    runs = [
        {"run_id": f"run-{i}", "job": f"jobs/step{i}", "actor": f"psn:k1:{i % people:032x}"}
        for i in range(1, hops + 1)
    ]
    edges = []
    for i in range(1, hops + 1):
        edges.append({"from": f"warehouse/{name(i - 1)}@v{i - 1}", "to": f"run-{i}"})
        edges.append({"from": f"run-{i}", "to": f"warehouse/{name(i)}@v{i}"})
    actors = [{"actor": f"psn:k1:{i:032x}", "kind": "user"} for i in range(people)]
    return {
        "model": {"namespace": "warehouse", "name": name(hops), "version": f"v{hops}"},
        "datasets": datasets,
        "sources": [datasets[0]],
        "runs": runs,
        "deployments": [],
        "actors": actors,
        "edges": edges,
    }


def test_a_small_trace_is_drawn_whole() -> None:
    drawing = trace_graph(chain_trace(5, people=2), people=True)
    assert drawing.condensed == ()
    assert '"run-3"' in drawing.dot and "user:" in drawing.dot


def test_people_go_first_then_runs_fold_into_dataset_edges() -> None:
    hops = MAX_NODES // 2 - 5  # datasets + runs fit, with people they do not
    drawing = trace_graph(chain_trace(hops, people=20), people=True)
    assert drawing.condensed == ("people",)
    assert "user:" not in drawing.dot and '"run-1"' in drawing.dot

    deep = trace_graph(chain_trace(MAX_NODES - 10, people=3), people=True)
    assert deep.condensed == ("people", "runs")
    assert '"run-1"' not in deep.dot
    # The chain survives: each dataset version points at the next one.
    assert '"warehouse/d0@v0" -> "warehouse/d1@v1";' in deep.dot
    assert f'"warehouse/d{MAX_NODES - 11}@v{MAX_NODES - 11}" -> ' in deep.dot
    assert len(deep.nodes) > MAX_NODES  # the picker still offers every node


def test_many_versions_of_few_datasets_draw_as_the_datasets() -> None:
    drawing = trace_graph(chain_trace(MAX_NODES + 20, names=10), people=False)
    assert drawing.condensed == ("runs", "versions")
    assert '"warehouse/d3@27 versions" -> "warehouse/d4@27 versions";' in drawing.dot
    assert drawing.dot.count(" -> ") <= 11  # ten datasets in a ring, then the model


def test_a_trace_with_too_many_datasets_is_not_drawn() -> None:
    drawing = trace_graph(chain_trace(MAX_NODES + 1, people=1), people=False)
    assert drawing.dot is None and drawing.condensed == ("everything",)
