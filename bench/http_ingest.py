"""Figure 1 (per request): events per second through `mlaudit serve`, one event per POST.

The server runs as `mlaudit serve` with its default of one worker process
(MLAUDIT_BENCH_HTTP_WORKERS sets another count: on this 2-core machine, where the client takes
part of a core, two workers were no faster) on a free port, over a fresh database,
with a producer's API token made through lineage.accounts. Many concurrent keep-alive
connections from an asyncio client in this process (it shares the machine's cores with the
server) each POST one event per request to /api/v1/lineage and wait for its answer; the
connections are open before the clock starts, and a warm-up of other events has been through
the server first (its first requests open pool connections and read keys). Each repeat must
store exactly the events it posted. The same rows are then inserted raw into the same database.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

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
CONNECTIONS = 64  # concurrent keep-alive connections, each one request at a time
# Server processes: the server's default, one. MLAUDIT_BENCH_HTTP_WORKERS=2 measures two worker
# processes for comparison (the figure's note says which ran).
WORKERS = int(os.environ.get("MLAUDIT_BENCH_HTTP_WORKERS", "1"))
STARTUP_SECONDS = 60.0
WARMUP = 64  # untimed events of another seed first: one request on each connection


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
def serving(url: str, workers: int = WORKERS) -> Iterator[str]:
    """`mlaudit serve` on `url` in a subprocess; yields its base URL once it answers."""
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "mlaudit"), "serve", "--db", url,
        "--workers", str(workers),
    ]  # fmt: skip
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


def _post_all(base: str, token: str, bodies: list[bytes], connections: int) -> float:
    """Seconds for `connections` concurrent keep-alive connections, opened before the clock
    starts, to POST every body, one per request, each answer checked for a 200."""
    return asyncio.run(_post_concurrently(base, token, bodies, connections))


async def _post_concurrently(base: str, token: str, bodies: list[bytes], connections: int) -> float:
    # Raw HTTP/1.1 over asyncio streams, not httpx: the load generator shares the machine's two
    # cores with the server, and httpx spends several times the CPU per request that the
    # server's own HTTP layer does, so threads of httpx clients measured the client.
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    head = (
        f"POST /api/v1/lineage HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    ).encode()
    opened = await asyncio.gather(
        *(asyncio.open_connection(host, port) for _ in range(min(connections, len(bodies))))
    )
    pending = iter(bodies)  # shared: a connection takes the next body when its answer is in
    try:
        began = time.perf_counter()
        await asyncio.gather(*(_send(reader, writer, head, pending) for reader, writer in opened))
        return time.perf_counter() - began
    finally:
        for _reader, writer in opened:
            writer.close()
        await asyncio.gather(*(writer.wait_closed() for _reader, writer in opened))


async def _send(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    head: bytes,
    pending: Iterator[bytes],
) -> None:
    for body in pending:
        writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
        await _expect_ok(reader)


async def _expect_ok(reader: asyncio.StreamReader) -> None:
    """Read one response; anything but a 200 is an error (the server answers with a length)."""
    lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
    status = lines[0].split(b" ", 2)[1]
    length = next(
        int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")
    )
    answer = await reader.readexactly(length)
    if status != b"200":
        raise RuntimeError(f"POST answered {status.decode()}: {answer.decode(errors='replace')}")


def _stored_through(store: AuditStore, first: int, posted: int) -> int:
    """The last entry of a repeat, which must have stored each event it posted exactly once."""
    last = _last_seq(store)
    if last - first + 1 != posted:
        raise RuntimeError(f"{posted} events posted, {last - first + 1} entries stored")
    return last


def _last_seq(store: AuditStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM audit_log")).scalar_one())


def http_figures(
    database: str,
    events: int,
    repeats: int,
    connections: int = CONNECTIONS,
    workers: int = WORKERS,
) -> list[Figure]:
    """`repeats` rounds of `events` events each against one server (later rounds add to the
    store the earlier ones filled)."""
    batches = LineageGenerator(events * repeats, seed=13).batches(events)
    warmup = [json.dumps(e).encode() for e in next(LineageGenerator(WARMUP, seed=14).batches())]
    rates, ranges = [], []
    with fresh_database(database) as url, own_keys():
        store = AuditStore.open(url)
        token = producer_token(store)
        with serving(url, workers) as base:
            _post_all(base, token, warmup, connections)  # the server's first-request costs
            for batch in batches:
                bodies = [json.dumps(event).encode() for event in batch]
                first = _last_seq(store) + 1
                spent = _post_all(base, token, bodies, connections)
                rates.append(len(bodies) / spent)
                ranges.append((first, _stored_through(store, first, len(bodies)), len(bodies)))
        raw = [n / raw_insert_seconds(store.engine, a, b) for a, b, n in ranges]
        store.close()
    note = (
        f"`mlaudit serve --workers {workers}`; {connections} concurrent keep-alive connections "
        f"from one asyncio client process on the same machine, one event per request, {events} "
        "events per repeat"
    )
    return [
        figure("ingest per HTTP request", rates, "events/s", (">=", TARGET), note),
        figure("HTTP ingest / raw insert", [r / w for r, w in zip(rates, raw, strict=True)],
               "ratio", None, "both measured in the same run"),
    ]  # fmt: skip
