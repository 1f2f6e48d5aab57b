"""Bad bodies get a clear 4xx: too large (also decompressed), wrong type, malformed, too deep."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from test_api_support import api, bearer, make_tokens, run_event

from lineage.api.limits import BodyLimits
from lineage.store import AuditStore

SINGLE = "/api/v1/lineage"
BATCH = "/api/v1/lineage/batch"
LIMIT = 64 * 1024


@pytest.fixture
def client(sqlite_url: str) -> Iterator[tuple[TestClient, dict[str, str], AuditStore]]:
    store = AuditStore.open(sqlite_url)
    headers = {**bearer(make_tokens(store)["producer"]), "Content-Type": "application/json"}
    with api(store, BodyLimits(max_body=LIMIT)) as test_client:
        yield test_client, headers, store
    store.close()


def post(client, headers, body: bytes, path: str = SINGLE, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(path, content=body, headers={**headers, **extra})


def error(response) -> str:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["message"]
    return body["error"]


def padded_event(size: int) -> bytes:
    event = run_event("big")
    event["run"]["facets"] = {"pad": {"_producer": "p", "_schemaURL": "s", "x": "a" * size}}
    return json.dumps(event).encode()


def test_an_oversized_body_is_a_413_announced_or_streamed(client) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    body = padded_event(LIMIT)
    assert post(c, headers, body).status_code == 413

    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to refuse up front
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    streamed = c.post(SINGLE, content=chunks(), headers=headers)
    assert streamed.status_code == 413 and error(streamed) == "payload_too_large"
    assert "retry-after" not in streamed.headers  # urllib3 would retry a 413 with Retry-After
    assert post(c, headers, padded_event(LIMIT // 2)).status_code == 200


def test_the_limit_applies_to_the_decompressed_size(client) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    bomb = gzip.compress(b'{"a": "' + b"0" * (50 * LIMIT) + b'"}')
    assert len(bomb) < LIMIT
    response = post(c, headers, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert "after decompression" in response.json()["message"]


def test_damaged_gzip_is_a_400(client) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    whole = gzip.compress(json.dumps(run_event("z")).encode())
    for body in (b"not gzip at all", whole[: len(whole) // 2], whole + b"trailing"):
        response = post(c, headers, body, **{"Content-Encoding": "gzip"})
        assert response.status_code == 400 and error(response) == "bad_encoding"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Content-Type", "text/plain"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Type", "application/json; charset=latin-1"),
        ("Content-Encoding", "br"),
        ("Content-Encoding", "gzip, deflate"),
    ],
)
def test_wrong_content_types_and_encodings_are_a_415(client, header: str, value: str) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    response = post(c, headers, json.dumps(run_event("t")).encode(), **{header: value})
    assert response.status_code == 415
    assert error(response) in ("unsupported_media_type", "unsupported_encoding")


def test_a_missing_content_type_is_a_415(client) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    auth = {"Authorization": headers["Authorization"]}
    response = c.post(SINGLE, content=json.dumps(run_event("t")).encode(), headers=auth)
    assert response.status_code == 415


def test_malformed_json_is_a_400_naming_line_and_column(client) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    response = post(c, headers, b'{\n  "eventType": "START",\n  "run": {,}\n}')
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["line"], body["column"]) == ("malformed_json", 3, 11)
    assert "line 3 column 11" in body["message"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "empty_body"),
        (b"   \n", "empty_body"),
        (b"\xff\xfe{}", "bad_encoding"),
        (b'{"a": "caf\xe9"}', "bad_encoding"),
        (b'{"a": NaN}', "malformed_json"),
        (b'{"a": -Infinity}', "malformed_json"),
        (b'{"a": ' + b"9" * 5000 + b"}", "malformed_json"),
        (b"[" * 65 + b"]" * 65, "too_deep"),
        (b"[" * 50_000, "too_deep"),
    ],
)
def test_bad_bytes_are_a_400(client, body: bytes, code: str) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    response = post(c, headers, body)
    assert response.status_code == 400
    assert error(response) == code


def test_nesting_is_limited_before_the_core_sees_it(client) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    event = run_event("deep")
    nested: object = "leaf"
    for _ in range(70):
        nested = {"n": nested}
    event["run"]["facets"] = {"custom": {"_producer": "p", "_schemaURL": "s", "v": nested}}
    response = post(c, headers, json.dumps(event).encode())
    assert response.status_code == 400 and error(response) == "too_deep"
    shallow = run_event("shallow")
    shallow["run"]["facets"] = {"custom": {"_producer": "p", "_schemaURL": "s", "v": [[["ok"]]]}}
    assert post(c, headers, json.dumps(shallow).encode()).status_code == 200


def test_the_wrong_shape_for_the_endpoint_is_a_400(client) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    array = post(c, headers, json.dumps([run_event("a")]).encode())
    assert array.status_code == 400 and "/api/v1/lineage/batch" in array.json()["message"]
    scalar = post(c, headers, b'"hello"')
    assert scalar.status_code == 400 and error(scalar) == "not_an_event"
    single = post(c, headers, json.dumps(run_event("a")).encode(), path=BATCH)
    assert single.status_code == 400 and error(single) == "not_a_batch"


def test_a_large_real_event_is_accepted(sqlite_url: str, load_sample) -> None:  # type: ignore[no-untyped-def]
    """Marquez's ~220 KB event: parsed off the event loop, stored whole."""
    store = AuditStore.open(sqlite_url)
    headers = bearer(make_tokens(store)["producer"])
    with api(store) as c:
        response = c.post(SINGLE, json=load_sample("marquez/event_large.json"), headers=headers)
    assert response.status_code == 200, response.text
    store.close()


def test_unknown_paths_and_methods_answer_in_json(client) -> None:  # type: ignore[no-untyped-def]
    c, headers, _ = client
    assert error(c.get("/api/v1/nothing-here")) == "not_found"
    response = c.get(SINGLE, headers=headers)
    assert response.status_code == 405 and error(response) == "method_not_allowed"
    bad_query = c.get("/api/v1/events?limit=lots", headers=headers)
    assert bad_query.status_code == 400 and "limit" in bad_query.json()["message"]
