"""POST /api/v1/lineage and /batch: stored once, submitter recorded, rejections explained."""

from __future__ import annotations

import gzip
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_api_support import api, bearer, make_tokens, run_event, user_actions

from lineage.accounts import service
from lineage.api.auth import TokenCache
from lineage.cli.session import LOCAL_OPERATOR
from lineage.privacy import pseudonym_for
from lineage.store import AuditStore

SINGLE = "/api/v1/lineage"
BATCH = "/api/v1/lineage/batch"


@pytest.fixture
def tokens(store: AuditStore) -> dict[str, str]:
    return make_tokens(store)


def test_an_event_is_stored_with_its_token_owner_as_submitter(store, tokens) -> None:  # type: ignore[no-untyped-def]
    with api(store) as client:
        response = client.post(SINGLE, json=run_event("one"), headers=bearer(tokens["producer"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success" and body["duplicate"] is False
    entry = next(e for e in store.entries() if e["seq"] == body["seq"])
    assert entry["key"] == body["key"]
    assert entry["submitter"] == pseudonym_for("producer", store.keys.pseudonym_key())


def test_resending_an_event_answers_the_same_and_stores_it_once(store, tokens) -> None:  # type: ignore[no-untyped-def]
    event, headers = run_event("again"), bearer(tokens["producer"])
    with api(store) as client:
        first = client.post(SINGLE, json=event, headers=headers).json()
        before = store.count_entries()
        second = client.post(SINGLE, json=event, headers=headers).json()
        batch = client.post(BATCH, json=[event, event], headers=headers).json()
    assert store.count_entries() == before
    assert (second["seq"], second["key"], second["duplicate"]) == (first["seq"], first["key"], True)
    assert {(a["seq"], a["duplicate"]) for a in batch["accepted"]} == {(first["seq"], True)}


def test_an_invalid_event_is_a_400_listing_every_violation(store, tokens) -> None:  # type: ignore[no-untyped-def]
    event = run_event("bad")
    del event["eventTime"]
    event["run"]["runId"] = 42
    before = store.count_entries()
    with api(store) as client:
        response = client.post(SINGLE, json=event, headers=bearer(tokens["producer"]))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_event" and "nothing was stored" in body["message"]
    paths = {v["path"] for v in body["violations"]}
    assert {"$.eventTime", "$.run.runId"} <= paths
    assert store.count_entries() == before


def test_a_batch_says_which_items_were_accepted_and_which_rejected(store, tokens) -> None:  # type: ignore[no-untyped-def]
    bad = run_event("bad")
    bad["eventType"] = "EXPLODED"
    items = [run_event("b0"), bad, "not an event", run_event("b3")]
    before = store.count_entries()
    with api(store) as client:
        response = client.post(BATCH, json=items, headers=bearer(tokens["producer"]))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "partial_success"
    assert body["summary"] == {
        "received": 4,
        "successful": 2,
        "failed": 2,
        "retriable": 0,
        "non_retriable": 2,
        "stored": 2,
        "duplicates": 0,
    }
    assert [a["index"] for a in body["accepted"]] == [0, 3]
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert body["rejected"][0]["violations"][0]["path"] == "$.eventType"
    assert [f["index"] for f in body["failed_events"]] == [1, 2]
    assert all(f["retriable"] is False and f["reason"] for f in body["failed_events"])
    assert store.count_entries() == before + 2
    assert not any(e["event"].get("eventType") == "EXPLODED" for e in store.entries())


def test_a_batch_with_nothing_valid_is_a_400_and_an_empty_one_a_success(store, tokens) -> None:  # type: ignore[no-untyped-def]
    headers = bearer(tokens["producer"])
    with api(store) as client:
        invalid = client.post(BATCH, json=[{"eventType": "START"}, 7], headers=headers)
        empty = client.post(BATCH, json=[], headers=headers)
    assert invalid.status_code == 400
    assert invalid.json()["error"] == "invalid_events"
    assert invalid.json()["summary"]["failed"] == 2
    assert empty.status_code == 200 and empty.json()["status"] == "success"


def test_no_token_or_a_wrong_one_is_a_401_with_a_challenge(store, tokens) -> None:  # type: ignore[no-untyped-def]
    event = run_event("anon")
    with api(store) as client:
        missing = client.post(SINGLE, json=event)
        basic = client.post(SINGLE, json=event, headers={"Authorization": "Basic dTpw"})
        wrong = client.post(SINGLE, json=event, headers=bearer("mla_0000_not-a-secret"))
        revoked_like = client.post(SINGLE, json=event, headers=bearer(tokens["producer"] + "x"))
    for response in (missing, basic, wrong, revoked_like):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith('Bearer realm="mlaudit"')
        assert response.json()["error"] == "unauthorized"
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert user_actions(store).count(("login.failed", "failed")) == 2
    assert not any(e["event"]["job"]["name"] == "job" for e in store.entries())


def test_a_role_without_write_permission_is_a_403_and_recorded(store, tokens) -> None:  # type: ignore[no-untyped-def]
    with api(store) as client:
        response = client.post(SINGLE, json=run_event("v"), headers=bearer(tokens["viewer"]))
    assert response.status_code == 403
    assert "may not write_events" in response.json()["message"]
    assert user_actions(store)[-1] == ("log.write", "denied")


def test_gzip_bodies_are_accepted(store, tokens) -> None:  # type: ignore[no-untyped-def]
    body = gzip.compress(json.dumps([run_event("g1"), run_event("g2")]).encode())
    headers = {
        **bearer(tokens["producer"]),
        "Content-Type": "application/json; charset=utf-8",
        "Content-Encoding": "gzip",
    }
    with api(store) as client:
        response = client.post(BATCH, content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["summary"]["stored"] == 2


def test_producer_drift_is_accepted_and_normalised(store, tokens, load_sample) -> None:  # type: ignore[no-untyped-def]
    sample = load_sample("marquez/event_required_no_timezone.json")
    with api(store) as client:
        response = client.post(SINGLE, json=sample, headers=bearer(tokens["producer"]))
    assert response.status_code == 200, response.text
    entry = next(e for e in store.entries() if e["seq"] == response.json()["seq"])
    assert any("eventTime" in note for note in json.loads(entry["normalizations"]))


def test_concurrent_requests_each_get_their_own_result(store, tokens) -> None:  # type: ignore[no-untyped-def]
    """The writer joins concurrent requests into one transaction and splits the result back."""
    headers = bearer(tokens["producer"])
    events = [run_event(f"c{i}", job=f"job{i % 3}") for i in range(40)]
    with api(store) as client, ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda e: client.post(SINGLE, json=e, headers=headers), events))
    assert all(r.status_code == 200 for r in responses)
    seqs = [r.json()["seq"] for r in responses]
    assert len(set(seqs)) == 40
    by_seq = {e["seq"]: e["event"]["run"]["runId"] for e in store.entries()}
    assert [by_seq[s] for s in seqs] == [e["run"]["runId"] for e in events]


def test_a_value_postgresql_refuses_rejects_only_that_event(pg_url, tokens_for) -> None:  # type: ignore[no-untyped-def]
    store, tokens = tokens_for(pg_url)
    nul = run_event("nul", job="has\u0000nul")
    items = [run_event("ok1"), nul, run_event("ok2")]
    with api(store) as client:
        batch = client.post(BATCH, json=items, headers=bearer(tokens["producer"]))
        single = client.post(SINGLE, json=nul, headers=bearer(tokens["producer"]))
    assert batch.status_code == 200, batch.text
    assert [a["index"] for a in batch.json()["accepted"]] == [0, 2]
    assert "NUL" in batch.json()["rejected"][0]["violations"][0]["message"]
    assert single.status_code == 400 and single.json()["error"] == "invalid_event"


def test_a_refused_value_in_a_large_batch_rejects_only_that_event(pg_url, tokens_for) -> None:  # type: ignore[no-untyped-def]
    """A batch large enough to be appended in chunks (lineage.store): the chunk's failure rolls
    the whole transaction back, and the writer's replay stores everything else."""
    store, tokens = tokens_for(pg_url)
    items = [run_event(f"large{i}", job=f"job{i % 7}") for i in range(400)]
    items[390]["job"]["name"] = "has\u0000nul"
    with api(store) as client:
        batch = client.post(BATCH, json=items, headers=bearer(tokens["producer"]))
    assert batch.status_code == 200, batch.text
    accepted = batch.json()["accepted"]
    assert [a["index"] for a in accepted] == [i for i in range(400) if i != 390]
    assert [r["index"] for r in batch.json()["rejected"]] == [390]
    assert store.count_entries() == 399 + len(user_actions(store))


@pytest.fixture
def tokens_for():  # type: ignore[no-untyped-def]
    opened: list[AuditStore] = []

    def make(url: str) -> tuple[AuditStore, dict[str, str]]:
        opened.append(AuditStore.open(url))
        return opened[-1], make_tokens(opened[-1])

    yield make
    for each in opened:
        each.close()


def test_a_revoked_token_stops_working_once_its_cache_entry_expires(store, tokens) -> None:  # type: ignore[no-untyped-def]
    token = tokens["producer"]
    with api(store) as client:
        client.app.state.tokens = TokenCache(ttl=0.2)  # type: ignore[attr-defined]
        assert client.post(SINGLE, json=run_event("r1"), headers=bearer(token)).status_code == 200
        service.revoke_token(store, LOCAL_OPERATOR, token.split("_")[1])
        time.sleep(0.3)
        refused = client.post(SINGLE, json=run_event("r2"), headers=bearer(token))
    assert refused.status_code == 401
