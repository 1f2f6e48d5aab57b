"""Fuzz: whatever a client sends, the answer is a chosen status with a JSON body, never a 500."""

from __future__ import annotations

import copy
import gzip
import json
import string
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_api_support import api, bearer, make_tokens, run_event

from lineage.api.limits import BodyLimits
from lineage.store import AuditStore

FUZZ = settings(
    max_examples=500,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BASE = run_event("fuzz", output="out")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
HEADER_TEXT = st.text(alphabet=string.printable.strip("\r\n\x0b\x0c"), max_size=40)
CONTENT_TYPES = (
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8",
            "application/json; charset=latin-1",
            "application/cloudevents+json",
            "text/plain",
            "multipart/form-data; boundary=x",
        ]
    )
    | HEADER_TEXT
)
ENCODINGS = st.sampled_from([None, "gzip", "GZIP", "identity", "br", "gzip, gzip"])


@st.composite
def mutated_event(draw: st.DrawFn) -> Any:
    """A valid event with one member replaced or removed somewhere in it."""
    event = copy.deepcopy(BASE)
    holder: Any = event
    for _ in range(draw(st.integers(0, 3))):
        keys = list(holder) if isinstance(holder, dict) else list(range(len(holder)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        if not isinstance(holder[key], (dict, list)):
            break
        holder = holder[key]
    keys = list(holder) if isinstance(holder, dict) else list(range(len(holder)))
    if keys and draw(st.booleans()):
        del holder[draw(st.sampled_from(keys))]
    elif isinstance(holder, dict):
        holder[draw(st.sampled_from([*keys, "extra"]))] = draw(JSON_VALUES)
    return event


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(_dumps),
    mutated_event().map(_dumps),
    st.lists(mutated_event(), max_size=3).map(_dumps),
    st.tuples(mutated_event().map(_dumps), st.integers(0, 400), st.binary(max_size=4)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]  # bytes spliced into valid JSON
    ),
    st.integers(1, 200).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 100).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
)


@pytest.fixture
def client(sqlite_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    store = AuditStore.open(sqlite_url)
    tokens = make_tokens(store)
    with api(store, BodyLimits(max_body=16 * 1024)) as test_client:
        yield test_client, tokens
    store.close()


def _check(response: Any, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert body["error"] and body["message"]


@FUZZ
@given(
    body=BODIES,
    content_type=CONTENT_TYPES,
    encoding=ENCODINGS,
    compress=st.booleans(),
    batch=st.booleans(),
)
def test_no_body_makes_the_server_fail(  # type: ignore[no-untyped-def]
    client, body: bytes, content_type: str, encoding: str | None, compress: bool, batch: bool
) -> None:
    test_client, tokens = client
    headers = {**bearer(tokens["producer"]), "Content-Type": content_type}
    if encoding is not None:
        headers["Content-Encoding"] = encoding
        if compress:
            body = gzip.compress(body)
    path = "/api/v1/lineage/batch" if batch else "/api/v1/lineage"
    response = test_client.post(path, content=body, headers=headers)
    _check(response, {200, 400, 413, 415})


QUERY_TEXT = st.text(max_size=30) | st.sampled_from(
    ["", "0", "-1", "2026-01-01", "99999999999999999999"]
)


@FUZZ
@given(
    path=st.sampled_from(
        [
            "trace",
            "impact",
            "history",
            "events",
            "tree/heads",
            "tree/proofs/inclusion",
            "tree/proofs/consistency",
            "verify",
        ]
    ),
    params=st.dictionaries(
        st.sampled_from(
            [
                "model",
                "dataset",
                "version",
                "as_of",
                "namespace",
                "since",
                "until",
                "actor",
                "category",
                "limit",
                "after",
                "payload",
                "seq",
                "size",
                "old",
                "new",
            ]
        ),
        QUERY_TEXT,
        max_size=5,
    ),
)
def test_no_query_makes_the_server_fail(client, path: str, params: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    test_client, tokens = client
    response = test_client.get(f"/api/v1/{path}", params=params, headers=bearer(tokens["admin"]))
    _check(response, {200, 400, 404})
