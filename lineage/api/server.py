"""Run the API on uvicorn: `mlaudit serve`, and `running()` for tests and embedding.

One process, one event loop (uvloop and httptools when installed), one store: the store is opened
and migrated once here, before the port opens. uvicorn drains in-flight requests on SIGTERM/SIGINT
and the app's shutdown lets the writer finish what is queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from lineage.accounts.service import has_accounts
from lineage.api.app import create_app
from lineage.api.limits import BodyLimits
from lineage.api.settings import DEFAULT_HOST, DEFAULT_MAX_BODY, DEFAULT_PORT, MAX_CONNECTIONS
from lineage.store import AuditStore

log = logging.getLogger(__name__)
GRACEFUL_SHUTDOWN_SECONDS = 30
STARTUP_TIMEOUT_SECONDS = 30.0


def serve(
    db: str | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    max_body: int = DEFAULT_MAX_BODY,
    access_log: bool = False,
    tls_cert: str | None = None,
    tls_key: str | None = None,
) -> None:
    """Serve until interrupted."""
    store = AuditStore.open(db)
    if not has_accounts(store):
        log.warning(
            "no accounts yet: every request will get 401. Create one with "
            "`mlaudit users add NAME --role producer` and `mlaudit tokens create --user NAME`"
        )
    app = create_app(store, limits=BodyLimits(max_body=max_body))
    config = _config(
        app, host, port, access_log=access_log, ssl_certfile=tls_cert, ssl_keyfile=tls_key
    )
    try:
        uvicorn.Server(config).run()
    finally:
        store.close()


def _config(app: object, host: str, port: int, **options: object) -> uvicorn.Config:
    defaults: dict[str, object] = {
        "access_log": False,  # a log line per event costs throughput; --access-log turns it on
        "server_header": False,
        "limit_concurrency": MAX_CONNECTIONS,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "log_level": "info",
    }
    return uvicorn.Config(app, host=host, port=port, **{**defaults, **options})  # type: ignore[arg-type]


@contextmanager
def running(
    store: AuditStore, *, host: str = DEFAULT_HOST, port: int = 0, limits: BodyLimits | None = None
) -> Iterator[str]:
    """The real server in a background thread; yields its base URL (port 0: a free port)."""
    config = _config(create_app(store, limits=limits), host, port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="mlaudit-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(GRACEFUL_SHUTDOWN_SECONDS + 5)
