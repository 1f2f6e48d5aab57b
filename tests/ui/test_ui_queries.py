"""The read-side queries the app needs, on the real demo history, on SQLite and PostgreSQL.

The PostgreSQL store is a replay of the SQLite log (the stored events are ingested again, which
is how `mlaudit rebuild` and any second store would see them), so both answer the same history.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from lineage.errors import NotFoundError
from lineage.privacy import pseudonym_for
from lineage.queries.access import access_page
from lineage.queries.activity import actor_entries, actor_summary, known_actors
from lineage.queries.details import run_details, version_details
from lineage.queries.entries import search_entries
from lineage.queries.models import (
    compare_versions,
    deployment_history,
    metrics_over_time,
    model_versions,
    version_profile,
)
from lineage.queries.overview import bucket_for, category_counts, time_range, totals
from lineage.queries.search import glob_to_like, search_datasets
from lineage.store import AuditStore

MODEL = "breast_cancer_model"


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request, ui_store: AuditStore) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield ui_store.engine
        return
    replica = AuditStore.open(request.getfixturevalue("pg_url"))
    replica.ingest_many([e["event"] for e in ui_store.entries()])
    yield replica.engine
    replica.close()


def psn(store: AuditStore, name: str) -> str:
    return pseudonym_for(name, store.keys.pseudonym_key())


def test_search_is_bounded_scoped_and_literal(engine) -> None:  # type: ignore[no-untyped-def]
    names = [d["name"] for d in search_datasets(engine, "breast")]
    assert names[0].startswith("breast"), "names that start with the text come first"
    assert any(n.endswith("breast_cancer.csv") for n in names), "contains-match finds files"
    scoped = search_datasets(engine, "breast", patterns=["dagster/*"])
    assert {d["namespace"] for d in scoped} == {"dagster"}
    assert [d["name"] for d in search_datasets(engine, "", patterns=["dagster/raw_*"])] == [
        "raw_breast_cancer"
    ]
    assert search_datasets(engine, "", patterns=["dagster/[r]aw_*"])[0]["name"] == (
        "raw_breast_cancer"
    ), "classes LIKE cannot express are filtered by fnmatch"
    assert search_datasets(engine, "", patterns=[]) == []
    assert search_datasets(engine, "%") == [], "LIKE wildcards are literal characters"
    assert len(search_datasets(engine, "", limit=2)) == 2
    assert [d["kind"] for d in search_datasets(engine, "", kind="MODEL")] == ["MODEL"]
    assert glob_to_like("a_b*") == "a\\_b%"


def test_model_versions_profiles_and_differences(engine, deployed_version) -> None:  # type: ignore[no-untyped-def]
    versions = model_versions(engine, MODEL)["versions"]
    assert [v["algorithm"] for v in versions] == ["random_forest", "logistic_regression"]
    assert [v["live_in"] for v in versions] == [[], ["production"]]
    assert versions[1]["version"] == deployed_version
    assert versions[0]["hyperparameters"] == {
        "max_depth": 6,
        "n_estimators": 200,
        "random_state": 0,
    }
    assert all(
        v["training_data"][0].startswith("dagster/breast_cancer_features@") for v in versions
    )
    then = model_versions(engine, MODEL, as_of=versions[1]["created_at"])["versions"]
    assert [(v["version"], v["live_in"]) for v in then] == [(deployed_version, [])], (
        "as of its creation: the first version only, not deployed yet"
    )
    assert len(model_versions(engine, MODEL, prefix=deployed_version[:4])["versions"]) == 1
    old, new = (version_profile(engine, MODEL, v["version"]) for v in reversed(versions))
    rows = {r["aspect"]: r for r in compare_versions(old, new)}
    assert rows["algorithm"]["changed"] and rows["hyperparameter n_estimators"]["a"] == "-"
    assert not rows["hyperparameter random_state"]["changed"]
    assert rows["training data dagster/breast_cancer_features"]["changed"]
    with pytest.raises(NotFoundError):
        model_versions(engine, "no_such_model")


def test_metrics_and_deployments_over_time(engine) -> None:  # type: ignore[no-untyped-def]
    metrics = metrics_over_time(engine, MODEL)
    assert len(metrics["points"]) == 10, "five metrics for each of two evaluations, no repeats"
    assert {p["metric"] for p in metrics["points"]} == {
        "accuracy", "f1", "precision", "recall", "roc_auc"
    }  # fmt: skip
    assert len(metrics["checks"]) == 4 and all(c["passed"] for c in metrics["checks"])
    history = deployment_history(engine, MODEL)
    assert [(d["action"], d["valid_to"] is None) for d in history] == [
        ("deploy", False),
        ("update", False),
        ("rollback", True),
    ]


def test_category_counts_cover_every_entry(engine) -> None:  # type: ignore[no-untyped-def]
    counts = category_counts(engine)
    # The demo lasts seconds on an idle machine, minutes on a loaded CI worker.
    first, last = time_range(engine) or ("", "")
    assert counts["bucket"] == bucket_for(first, last)[1] in ("second", "minute")
    size = totals(engine)
    total = sum(r["entries"] for r in counts["rows"])
    assert total >= size["entries"], "every entry has at least one category"
    assert size["models"] == 1 and size["datasets"] == 7
    assert bucket_for("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z") == (10, "day")
    assert bucket_for("2020-01-01T00:00:00Z", "2026-03-01T00:00:00Z") == (7, "month")


def test_entries_filter_and_page_without_gaps(engine) -> None:  # type: ignore[no-untyped-def]
    about_model = search_entries(engine, model=("dagster", MODEL), limit=1000)
    assert {"deployment", "evaluation", "model_development"} <= {
        c for e in about_model for c in e["categories"]
    }
    reads = search_entries(engine, dataset=("dagster", "raw_breast_cancer"), limit=1000)
    assert {e["job"] for e in reads} >= {"dagster/delete_dataset_job.delete_dataset"}
    everything = search_entries(engine, limit=1000)
    pages, before = [], None
    while page := search_entries(engine, before_seq=before, limit=7):
        pages += page
        before = page[-1]["seq"]
    assert [e["seq"] for e in pages] == [e["seq"] for e in everything]
    deployments = search_entries(engine, category="deployment", newest_first=False)
    assert [e["seq"] for e in deployments] == sorted(e["seq"] for e in deployments)


def test_one_actor_in_a_window(engine, ui_store) -> None:  # type: ignore[no-untyped-def]
    dave = psn(ui_store, "dave")
    summary = actor_summary(engine, dave)
    assert [(d["name"], d["action"]) for d in summary["data"]] == [("raw_breast_cancer", "delete")]
    assert actor_summary(engine, dave, until="2000-01-01")["categories"] == []
    assert {e["actor"] for e in actor_entries(engine, dave)} == {dave}
    assert dave in {a["name"] for a in known_actors(engine, "psn:")}


def test_history_pages_and_node_details(engine, deployed_version) -> None:  # type: ignore[no-untyped-def]
    first = access_page(engine, "raw_breast_cancer", limit=3)
    second = access_page(engine, "raw_breast_cancer", limit=3, before=first["next"])
    actions = [a["action"] for a in first["access"] + second["access"]]
    assert actions == ["delete", "read", "modify", "read", "create"]
    assert second["next"] is None
    deletes = access_page(engine, "raw_breast_cancer", action="delete")["access"]
    assert [a["action"] for a in deletes] == ["delete"]
    model = version_details(engine, "dagster", MODEL, deployed_version)
    run = run_details(engine, model["produced_by"])
    assert run["training"]["algorithm"] == "logistic_regression"
    assert [o["name"] for o in run["outputs"]] == [MODEL]
    assert run["entries"], "the run's own log entries"
