"""Links from a finding to the page that shows its subject, on the seeded demo store.

A finding's subject (`model:`, `deployment:`, `dataset:`, `run:`) becomes links to Trace or
Dataset history carrying query parameters; those pages preselect from them once, without
breaking the search box or the pickers' memory; only what the principal may read is linked.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from sqlalchemy import text
from streamlit.testing.v1 import AppTest
from test_ui_findings import REVIEWER, open_findings, pick
from ui_helpers import MODEL, dot_of, principal

from lineage.findings import FindingDraft, list_findings, record_findings
from lineage.store import AuditStore
from ui.components.links import subject_links

RAW = "dagster/raw_breast_cancer"
MODEL_RESOURCE = f"dagster/{MODEL}"

# A run that read a dataset outside dagster/* (the raw file) and wrote one inside.
RUN_READING_OUTSIDE = text(
    """
    SELECT x.run_id FROM run_inputs x
    JOIN dataset_versions v ON v.id = x.version_id JOIN datasets d ON d.id = v.dataset_id
    WHERE d.namespace <> 'dagster' ORDER BY x.event_time LIMIT 1
    """
)
OTHER_VERSION = text(
    """
    SELECT v.version FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
    WHERE d.name = :model AND v.version <> :version ORDER BY v.created_at LIMIT 1
    """
)
PRODUCTION_DEPLOYMENT = text(
    """
    SELECT dep.run_id FROM deployments dep JOIN dataset_versions v ON v.id = dep.model_version_id
    WHERE v.version = :version AND dep.environment = 'production' ORDER BY dep.seq DESC LIMIT 1
    """
)


def draft(subject: str, title: str) -> FindingDraft:
    return FindingDraft(
        kind="policy",
        rule="policy.tests",
        severity="high",
        subject=subject,
        title=title,
        explanation="Recorded by the link tests.",
        evidence={},
    )


def record(store: AuditStore, **subjects: str) -> dict[str, int]:
    """title -> finding id, one finding per subject."""
    drafts = [draft(subject, title) for title, subject in subjects.items()]
    record_findings(store, drafts, review="tests", principal=REVIEWER)
    return {f.title: f.id for f in list_findings(store.engine)}


def links_of(at: AppTest) -> list[tuple[str, str, dict[str, str]]]:
    return [
        (link.proto.page, link.value, dict(parse_qsl(link.proto.query_string)))
        for link in at.page_link
    ]


def follow(at: AppTest, page: str, params: dict[str, str]) -> AppTest:
    """What a click on the link does: the page, with the link's query parameters."""
    at.query_params.update(params)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    assert not at.query_params, "a link's parameters are taken once, off the URL"
    return at


def scalar(store: AuditStore, query, **params: str) -> str:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        value = conn.execute(query, params).scalar_one()
    return str(value)


def test_a_model_finding_opens_its_trace_at_that_version(  # type: ignore[no-untyped-def]
    app,
    ui_store: AuditStore,
    deployed_version: str,
) -> None:
    ids = record(ui_store, model=f"model:{MODEL_RESOURCE}@{deployed_version}")
    at = pick(open_findings(app("aud")), ids["model"])
    ((page, label, params),) = links_of(at)
    assert page.endswith("trace") and MODEL_RESOURCE in label
    assert params == {"model": MODEL_RESOURCE, "version": deployed_version}
    follow(at, "trace", params)
    headline = [h.value for h in at.subheader]
    assert headline[0].startswith(f"{MODEL_RESOURCE} @ {deployed_version[:16]}")
    assert deployed_version in dot_of(at)
    # The pickers remember the link's model like a typed search: away and back, it is still there.
    at.switch_page("app_pages/overview.py").run()
    at.switch_page("app_pages/trace.py").run()
    assert at.text_input(key="trace_search").value == MODEL_RESOURCE
    assert at.subheader[0].value.startswith(MODEL_RESOURCE)


def test_a_link_to_a_version_not_live_shows_that_version(  # type: ignore[no-untyped-def]
    app,
    ui_store: AuditStore,
    deployed_version: str,
) -> None:
    older = scalar(ui_store, OTHER_VERSION, model=MODEL, version=deployed_version)
    at = app("aud")
    follow(at, "trace", {"model": MODEL_RESOURCE, "version": older})
    assert at.subheader[0].value.startswith(f"{MODEL_RESOURCE} @ {older[:16]}")
    assert any("not live anywhere" in i.value for i in at.info)
    # The version box lists the linked one; clearing it lists the others again.
    prefix = at.text_input(key=f"trace_prefix_{MODEL_RESOURCE}")
    assert prefix.value == older
    prefix.input("").run()
    assert at.subheader[0].value.startswith(f"{MODEL_RESOURCE} @ {deployed_version[:16]}")


def test_a_deployment_finding_links_to_the_model_it_deployed(  # type: ignore[no-untyped-def]
    app,
    ui_store: AuditStore,
    deployed_version: str,
) -> None:
    run_id = scalar(ui_store, PRODUCTION_DEPLOYMENT, version=deployed_version)
    ids = record(ui_store, deployment=f"deployment:{run_id}")
    at = pick(open_findings(app("ada")), ids["deployment"])
    ((page, _, params),) = links_of(at)
    assert page.endswith("trace")
    assert params == {"model": MODEL_RESOURCE, "version": deployed_version}


def test_a_dataset_finding_opens_its_history_and_the_search_still_works(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    ids = record(ui_store, raw=f"dataset:{RAW}", person="actor:psn:k1:00ff", gone="dataset:x/y")
    at = open_findings(app("aud"))
    assert not links_of(pick(at, ids["person"])), "a person is no dataset: no link"
    assert not links_of(pick(at, ids["gone"])), "a dataset the log does not hold: no link"
    ((page, _, params),) = links_of(pick(at, ids["raw"]))
    assert page.endswith("history") and params == {"dataset": RAW}
    follow(at, "history", params)
    assert at.subheader[0].value == RAW
    actions = at.dataframe[0].value["action"].tolist()
    assert actions == ["delete", "read", "modify", "read", "create"]
    at.text_input(key="history_search").input("clean_breast").run()
    assert at.subheader[0].value == "dagster/clean_breast_cancer", "typing still chooses"


def test_run_links_hold_only_what_the_principal_may_read(app, ui_store: AuditStore) -> None:  # type: ignore[no-untyped-def]
    run_id = scalar(ui_store, RUN_READING_OUTSIDE)
    app("aud")  # the app's store and caches, as a session has them
    everything = {link.resource for link in subject_links(principal("aud"), f"run:{run_id}")}
    outside = {r for r in everything if not r.startswith("dagster/")}
    assert outside, f"the run reads outside dagster/*: {everything}"
    engineer = {link.resource for link in subject_links(principal("eng"), f"run:{run_id}")}
    assert engineer == everything - outside  # the engineer's projects are dagster/*
    assert subject_links(principal("vic"), f"run:{run_id}"), "a viewer reads lineage"
    assert not subject_links(principal("vic"), "actor:psn:k1:00ff")


def test_subjects_resolve_on_sqlite_and_postgres(
    store: AuditStore, db_url: str, kit, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A Dagster-like run: a parent whose step reads test/raw and trains test/model v1."""
    import streamlit as st

    parent = kit.facet("ParentRunFacet")
    parent.update(
        _schemaURL="https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet",
        run={"runId": kit.run_id("pipeline")},
        job={"namespace": "test", "name": "pipeline"},
    )
    time = "2026-01-01T00:00:00Z"
    store.ingest(
        [
            kit.event("pipeline", "pipeline", time=time, event_type="START"),
            kit.event(
                "train",
                "train",
                time=time,
                inputs=[kit.dataset("raw", "r1")],
                outputs=[kit.dataset("model", "v1", model=True)],
                parent=parent,
            ),
        ]
    )
    monkeypatch.setenv("MLAUDIT_DATABASE_URL", db_url)
    st.cache_data.clear()
    auditor = principal("aud")
    try:
        run = [
            (link.page, link.params)
            for link in subject_links(auditor, "run:" + kit.run_id("pipeline"))
        ]
        assert run == [
            ("app_pages/trace.py", (("model", "test/model"), ("version", "v1"))),
            ("app_pages/history.py", (("dataset", "test/raw"),)),
        ]
        (model,) = subject_links(auditor, "model:test/model@v1")
        assert model.params == (("model", "test/model"), ("version", "v1"))
        (raw,) = subject_links(auditor, "dataset:test/raw")
        assert raw.page == "app_pages/history.py"
        assert subject_links(principal("eng"), "dataset:test/raw") == [], "outside dagster/*"
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
