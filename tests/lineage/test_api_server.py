"""The real server (uvicorn on a free port) with real clients: OpenLineage's HttpTransport, the
`mlaudit ingest --url` client, concurrent producers on PostgreSQL, and `mlaudit serve` itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpCompression,
    HttpConfig,
    HttpTransport,
)
from sqlalchemy import func, select
from test_api_support import bearer, free_port, make_tokens, run_event
from typer.testing import CliRunner

from lineage.api.client import send_events
from lineage.api.limits import BodyLimits
from lineage.api.server import running
from lineage.cli.app import app as cli
from lineage.errors import InvalidEventsError
from lineage.models import LogEntry
from lineage.store import AuditStore
from lineage.verify import verify_log


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[str, dict[str, str], AuditStore]]:
    store = AuditStore.open(sqlite_url)
    tokens = make_tokens(store)
    with running(store) as base:
        yield base, tokens, store
    store.close()


def transport_for(base: str, token: str) -> HttpTransport:
    """What an Airflow/Spark/dbt integration configures: url, endpoint, api_key auth, gzip."""
    config = HttpConfig(
        url=base,
        endpoint="api/v1/lineage",
        auth=ApiKeyTokenProvider({"apiKey": token}),
        compression=HttpCompression.GZIP,
    )
    return HttpTransport(config)


def test_http_transport_delivers_every_literal_sample(served, sample_paths, load_sample) -> None:  # type: ignore[no-untyped-def]
    base, tokens, store = served
    client = OpenLineageClient(transport=transport_for(base, tokens["producer"]))
    samples = [load_sample(path) for path in sample_paths("literal")]
    for sample in samples:
        response = client.transport.emit(sample)  # the raw dicts, as recorded from producers
        assert response.status_code == 200, response.text
    for sample in samples:
        for dataset in [*(sample.get("inputs") or []), *(sample.get("outputs") or [])]:
            params = {"dataset": dataset["name"], "namespace": dataset["namespace"]}
            answer = httpx.get(f"{base}/api/v1/history", params=params, headers=_auth(tokens))
            assert answer.status_code == 200, answer.text
            # A JobEvent declares a job's datasets without a run: known, but not an access.
            assert answer.json()["access"] or "run" not in sample, dataset["name"]
    traced = httpx.get(
        f"{base}/api/v1/trace", params={"model": "apple.filling"}, headers=_auth(tokens)
    )
    assert {s["name"] for s in traced.json()["sources"]} == {"red.delicious", "cinnamon"}
    assert verify_log(store.engine, keys=store.keys).ok


def _auth(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["auditor"])


def test_the_client_library_emits_through_the_server(served) -> None:  # type: ignore[no-untyped-def]
    """OpenLineageClient configured as an openlineage.yml would configure it."""
    base, tokens, store = served
    transport = {
        "type": "http",
        "url": base,
        "endpoint": "api/v1/lineage",
        "auth": {"type": "api_key", "apiKey": tokens["producer"]},
        "compression": "gzip",
    }
    client = OpenLineageClient(config={"transport": transport})
    run_id = str(uuid.uuid4())
    client.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=datetime.now(UTC).isoformat(),
            run=Run(runId=run_id),
            job=Job(namespace="airflow", name="dag.task"),
            producer="https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
        )
    )
    assert any(e["event"]["run"]["runId"] == run_id for e in store.entries())


def test_invalid_samples_are_rejected_with_useful_messages(
    served, sample_paths, load_sample
) -> None:  # type: ignore[no-untyped-def]
    base, tokens, store = served
    transport = transport_for(base, tokens["producer"])
    before = store.count_entries()
    for path in sample_paths("invalid"):
        with pytest.raises(requests.HTTPError) as caught:
            transport.emit(load_sample(path))
        response = caught.value.response
        assert response.status_code == 400, path
        body = response.json()
        assert body["error"] == "invalid_event" and body["violations"], path
        assert all(v["path"].startswith("$") and v["message"] for v in body["violations"])
    assert store.count_entries() == before


def test_mlaudit_ingest_url_sends_a_file(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, tokens, store = served
    events = [run_event(f"file{i}", output=f"d{i}") for i in range(25)]
    file = tmp_path / "events.jsonl"
    file.write_text("\n".join(json.dumps(e) for e in events))
    args = ["ingest", str(file), "--url", base, "--token", tokens["producer"], "--json"]
    first = CliRunner().invoke(cli, [*args, "--batch-size", "10"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"events": 25, "stored": 25, "duplicates": 0}
    again = send_events(base + "/api/v1/lineage", tokens["producer"], events, batch_size=7)
    assert again == {"events": 25, "stored": 0, "duplicates": 25}
    before = store.count_entries()
    with pytest.raises(InvalidEventsError):
        send_events(base, tokens["producer"], [*events, {"eventType": "START"}])
    assert store.count_entries() == before  # checked locally first: nothing was sent


def test_concurrent_producers_keep_the_chain_and_tree_consistent(pg_url: str) -> None:
    store = AuditStore.open(pg_url)
    token = make_tokens(store)["producer"]
    writers, per_writer = 6, 30

    def produce(writer: int) -> list[dict]:
        mine = [run_event(f"w{writer}-{i}", job=f"job{writer}") for i in range(per_writer)]
        other = [
            run_event(f"w{(writer + 1) % writers}-{i}", job=f"job{(writer + 1) % writers}")
            for i in range(5)
        ]
        answers = []
        with httpx.Client(base_url=base, headers=bearer(token), timeout=60) as http:
            for event in mine[:20] + other:  # single events, and replays of another's
                answers.append(http.post("/api/v1/lineage", json=event).json())
            batch = http.post("/api/v1/lineage/batch", json=mine[20:]).json()
            answers += batch["accepted"]
        return answers

    with running(store) as base, ThreadPoolExecutor(writers) as pool:
        answers = [a for part in pool.map(produce, range(writers)) for a in part]
    seq_of: dict[str, set[int]] = {}
    for answer in answers:
        seq_of.setdefault(answer["key"], set()).add(answer["seq"])
    assert len(seq_of) == writers * per_writer
    assert all(len(seqs) == 1 for seqs in seq_of.values())  # one seq per event, replays included
    with store.engine.connect() as conn:
        rows = conn.execute(select(LogEntry.key, func.count()).group_by(LogEntry.key)).all()
    counts = dict(rows)
    assert all(counts[key] == 1 for key in seq_of)
    report = verify_log(store.engine, keys=store.keys)
    assert report.ok, (report.chain.problems[:3], report.tree.problems[:3])
    assert report.tree.size == store.count_entries()
    store.close()


def test_mlaudit_serve_starts_serves_and_stops(sqlite_url: str, keys_dir: Path) -> None:
    store = AuditStore.open(sqlite_url)
    token = make_tokens(store)["producer"]
    store.close()
    port = free_port()
    env = {**os.environ, "MLAUDIT_KEYS_DIR": str(keys_dir)}
    command = [
        sys.executable,
        "-m",
        "lineage.cli",
        "serve",
        "--port",
        str(port),
        "--db",
        sqlite_url,
    ]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, server)
        response = httpx.post(
            f"{base}/api/v1/lineage", json=run_event("cli"), headers=bearer(token)
        )
        assert response.status_code == 200, response.text
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=30)
    assert "Application startup complete" in errors


def _wait_for(base: str, server: subprocess.Popen) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "mlaudit serve exited early"
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("mlaudit serve did not come up within 30 s")


def test_a_body_trickling_in_too_slowly_is_a_408(sqlite_url: str) -> None:
    store = AuditStore.open(sqlite_url)
    token = make_tokens(store)["producer"]
    with running(store, limits=BodyLimits(timeout=0.5)) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            head = (
                "POST /api/v1/lineage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n"
            )
            sock.sendall(head.encode() + b'{"eventType"')  # ... and the rest never comes
            answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 408"), answer
    assert "request_timeout" in answer
    store.close()


def test_events_the_server_refuses_are_numbered_in_the_file(kit) -> None:  # type: ignore[no-untyped-def]
    """Refusals of valid-looking events (the server's own privacy rules, say) name each event
    by its place in what was sent, numbered from 1 as the local check numbers them."""
    from lineage.api.client import SendError

    def server(request: httpx.Request) -> httpx.Response:
        batch = json.loads(request.content)
        refused = [{"index": len(batch) - 1, "violations": [{"path": "$.x", "message": "no"}]}]
        summary = {"stored": len(batch) - 1, "duplicates": 0}
        return httpx.Response(400, json={"rejected": refused, "summary": summary})

    events = [kit.event(f"job{i}", "job", time=f"2026-01-0{i + 1}T00:00:00Z") for i in range(4)]
    with pytest.raises(SendError) as refused:
        send_events("http://audit", None, events, 2, transport=httpx.MockTransport(server))
    assert str(refused.value) == (
        "the server rejected 2 event(s) (2 others stored): event 2: $.x: no; event 4: $.x: no"
    )
