"""Figure 1 (per request): events per second through `mlaudit serve`, one event per POST.

The server runs as `mlaudit serve` in its own process on a free port, over a fresh database,
with a producer's API token made through lineage.accounts. Concurrent clients (threads with
httpx, in this process: they share the machine's cores with the server) each POST one event
per request to /api/v1/lineage. The same rows are then inserted raw into the same database.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.common import Figure, figure, fresh_database, own_keys
from bench.generator import LineageGenerator
from bench.raw_insert import raw_insert_seconds
from lineage.accounts.service import add_user, create_token
from lineage.authz import Principal
from lineage.cli.session import LOCAL_OPERATOR
from lineage.store import AuditStore

TARGET = 1_500
CLIENTS = 8
STARTUP_SECONDS = 60.0


def producer_token(store: AuditStore) -> str:
    add_user(store, LOCAL_OPERATOR, "bench-admin", ["admin"])
    admin = Principal(name="bench-admin", roles=("admin",))
    add_user(store, admin, "bench-producer", ["producer"])
    return create_token(store, admin, "bench-producer", label="benchmark")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(url: str) -> Iterator[str]:
    """`mlaudit serve` on `url` in a subprocess; yields its base URL once it answers."""
    port = _free_port()
    command = [str(Path(sys.executable).parent / "mlaudit"), "serve", "--db", url]
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=dict(os.environ), stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, base)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def _wait_until_up(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"mlaudit serve exited with code {server.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"mlaudit serve did not answer on {base} within {STARTUP_SECONDS:.0f}s")


def _post_all(base: str, token: str, bodies: list[bytes], clients: int) -> float:
    """Seconds for `clients` concurrent clients to POST every body, one per request.

    Each client is a thread with its own keep-alive httpx.Client: on this machine that drives
    the server several times harder than one asyncio client multiplexing the same connections.
    """
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(share: list[bytes]) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            for body in share:
                response = http.post("/api/v1/lineage", content=body)
                if response.status_code != 200:
                    raise RuntimeError(f"POST answered {response.status_code}: {response.text}")

    shares = [bodies[k::clients] for k in range(clients)]
    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, shares))
    return time.perf_counter() - began


def _last_seq(store: AuditStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM audit_log")).scalar_one())


def http_figures(database: str, events: int, repeats: int, clients: int = CLIENTS) -> list[Figure]:
    """`repeats` rounds of `events` events each against one server (later rounds add to the
    store the earlier ones filled)."""
    batches = LineageGenerator(events * repeats, seed=13).batches(events)
    rates, ranges = [], []
    with fresh_database(database) as url, own_keys():
        store = AuditStore.open(url)
        token = producer_token(store)
        with serving(url) as base:
            for batch in batches:
                bodies = [json.dumps(event).encode() for event in batch]
                first = _last_seq(store) + 1
                spent = _post_all(base, token, bodies, clients)
                rates.append(len(bodies) / spent)
                ranges.append((first, _last_seq(store), len(bodies)))
        raw = [n / raw_insert_seconds(store.engine, a, b) for a, b, n in ranges]
        store.close()
    note = f"{clients} concurrent clients on the same machine, {events} events per repeat"
    return [
        figure("ingest per HTTP request", rates, "events/s", (">=", TARGET), note),
        figure("HTTP ingest / raw insert", [r / w for r, w in zip(rates, raw, strict=True)],
               "ratio", None, "both measured in the same run"),
    ]  # fmt: skip
