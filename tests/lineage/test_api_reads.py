"""The CLI's questions over HTTP: same answers, same role checks, every read recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from scenario import ml_history
from test_api_support import api, bearer, make_tokens, user_actions

from lineage.accounts.redaction import REDACTED
from lineage.merkle.heads import sign_head
from lineage.merkle.offline import check_document
from lineage.queries import dataset_history, impact, trace
from lineage.store import AuditStore


@pytest.fixture
def seeded(store: AuditStore, kit) -> Iterator[tuple[TestClient, dict[str, str], AuditStore]]:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    tokens = make_tokens(store)
    with api(store) as client:
        yield client, tokens, store


def get(client: TestClient, token: str, path: str, **params: object):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/{path}", params=params, headers=bearer(token))


def test_trace_impact_and_history_answer_as_the_core_does(seeded) -> None:  # type: ignore[no-untyped-def]
    client, tokens, store = seeded
    auditor = tokens["auditor"]
    traced = get(client, auditor, "trace", model="model", version="m1")
    assert traced.status_code == 200, traced.text
    assert traced.json() == _plain(trace(store.engine, "model", version="m1"))
    downstream = get(client, auditor, "impact", dataset="raw").json()
    assert downstream == _plain(impact(store.engine, "raw"))
    history = get(client, auditor, "history", dataset="raw", namespace="test").json()
    assert history == _plain(dataset_history(store.engine, "raw", namespace="test"))
    assert user_actions(store)[-3:] == [
        ("log.read.trace", "success"),
        ("log.read.impact", "success"),
        ("log.read.history", "success"),
    ]


def _plain(result: object) -> object:
    """What JSON makes of a query result (tuples become lists)."""
    return json.loads(json.dumps(result, default=str))


def test_roles_without_read_personal_see_no_pseudonyms(seeded) -> None:  # type: ignore[no-untyped-def]
    client, tokens, _ = seeded
    viewer = get(client, tokens["viewer"], "trace", model="model").json()
    assert viewer["actors"] == []
    assert {r["actor"] for r in viewer["runs"]} <= {REDACTED, None}
    auditor = get(client, tokens["auditor"], "trace", model="model").json()
    assert all(a["actor"].startswith("psn:") for a in auditor["actors"])


def test_roles_are_checked_and_refusals_recorded(seeded) -> None:  # type: ignore[no-untyped-def]
    client, tokens, store = seeded
    assert get(client, tokens["producer"], "trace", model="model").status_code == 403
    assert get(client, tokens["viewer"], "events").status_code == 403
    assert get(client, tokens["ml_engineer"], "trace", model="model").status_code == 200
    outside = get(client, tokens["ml_engineer"], "history", dataset="raw")
    assert outside.status_code == 403 and "test/raw" in outside.json()["message"]
    assert get(client, tokens["producer"], "verify").status_code == 403
    assert user_actions(store)[-5:] == [
        ("log.read.trace", "denied"),
        ("log.read.events", "denied"),
        ("log.read.trace", "success"),
        ("log.read.history", "denied"),
        ("log.verify", "denied"),
    ]
    assert get(client, "mla_x_y", "trace", model="model").status_code == 401


def test_unknown_datasets_and_bad_parameters_are_4xx(seeded) -> None:  # type: ignore[no-untyped-def]
    client, tokens, _ = seeded
    admin = tokens["admin"]
    missing = get(client, admin, "trace", model="no-such-model")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert get(client, admin, "trace", model="model", as_of="yesterday").status_code == 400
    assert get(client, admin, "events", category="gossip").status_code == 400
    assert get(client, admin, "events", limit=0).status_code == 400
    assert get(client, admin, "trace").status_code == 400  # model is required


def test_events_page_through_the_log(seeded) -> None:  # type: ignore[no-untyped-def]
    client, tokens, store = seeded
    auditor = tokens["auditor"]
    first = get(client, auditor, "events", limit=4).json()
    assert [e["seq"] for e in first["events"]] == [1, 2, 3, 4]
    following = get(client, auditor, "events", limit=4, after=first["next_after"]).json()
    assert following["events"][0]["seq"] == 5
    deployments = get(client, auditor, "events", category="deployment", payload="true").json()
    assert [e["seq"] for e in deployments["events"]] == [5, 8, 9]
    assert deployments["events"][0]["event"]["job"]["name"] == "deploy"
    everything = get(client, auditor, "events", limit=10_000).json()
    assert everything["next_after"] is None
    # The read is recorded before it runs, as in the CLI: the answer includes its own record.
    assert len(everything["events"]) == store.count_entries()
    assert everything["events"][-1]["categories"] == ["user_action"]


def test_verify_heads_and_proofs(seeded) -> None:  # type: ignore[no-untyped-def]
    client, tokens, store = seeded
    viewer = tokens["viewer"]
    report = get(client, viewer, "verify").json()
    assert report["ok"] is True and report["chain"]["ok"] and report["tree"]["ok"]
    head = sign_head(store)
    pinned = get(client, viewer, "verify", public_key=head.public_key).json()
    assert pinned["ok"] and pinned["heads"]["count"] == 1
    stranger = get(client, viewer, "verify", public_key="11" * 32).json()
    assert stranger["ok"] is False and stranger["problems"][0]["check"] == "heads"
    assert get(client, viewer, "verify", public_key="zz").status_code == 400
    heads = get(client, viewer, "tree/heads").json()
    assert heads["latest"]["tree_size"] == head.tree_size and heads["count"] == 1
    assert heads["tree"]["size"] >= head.tree_size and heads["tree"]["complete"]
    proof = get(client, viewer, "tree/proofs/inclusion", seq=3).json()
    assert proof["tree_size"] == head.tree_size and proof["head"]["signature"] == head.signature
    assert all(step.ok for step in check_document(proof, [proof["head"]], head.public_key))
    size = get(client, viewer, "tree/heads").json()["tree"]["size"]
    consistency = get(client, viewer, "tree/proofs/consistency", old=2, new=size).json()
    assert consistency["type"] == "consistency" and consistency["new_size"] == size
    too_far = get(client, viewer, "tree/proofs/inclusion", seq=10_000)
    assert too_far.status_code == 400 and too_far.json()["error"] == "cannot_prove"
    recorded = [a for a, _ in user_actions(store) if a.startswith(("log.verify", "log.prove"))]
    assert recorded == [
        "log.verify",
        "log.verify",
        "log.verify",
        "log.prove.inclusion",
        "log.prove.consistency",
        "log.prove.inclusion",
    ]


def test_health_needs_no_token_and_openapi_describes_the_api(seeded) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = seeded
    health = client.get("/api/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    document = client.get("/openapi.json").json()
    for path in (
        "/api/v1/lineage",
        "/api/v1/lineage/batch",
        "/api/v1/trace",
        "/api/v1/events",
        "/api/v1/verify",
        "/api/v1/tree/heads",
        "/api/v1/tree/proofs/inclusion",
        "/api/v1/health",
    ):
        assert path in document["paths"], path
    post = document["paths"]["/api/v1/lineage"]["post"]
    assert "application/json" in post["requestBody"]["content"]
    assert {"400", "401", "403", "413", "415", "503"} <= set(post["responses"])
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_values_postgresql_refuses_in_a_query_are_a_400(pg_url: str) -> None:
    store = AuditStore.open(pg_url)
    admin = make_tokens(store)["admin"]
    with api(store) as client:
        response = get(client, admin, "trace", model="a\u0000b")
    assert response.status_code == 400, response.text
    store.close()
