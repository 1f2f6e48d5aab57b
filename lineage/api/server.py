"""Run the API on uvicorn: `mlaudit serve`, and `running()` for tests and embedding.

The store is opened and migrated once here, before the port opens. With one worker (the
default) the app runs in this process, on one event loop (uvloop and httptools when installed).
With `workers` > 1 this process binds the port and supervises that many worker processes
(uvicorn's multiprocess supervisor): each builds its own app and store with `worker_app` from
settings passed in the environment, without migrating, and they share the listening socket.
Their writes meet at the store's writer lock, as writes from any other process do.
uvicorn drains in-flight requests on SIGTERM/SIGINT (the supervisor forwards SIGTERM to the
workers) and each app's shutdown lets its writer finish what is queued.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from lineage.accounts.service import has_accounts
from lineage.api.app import create_app
from lineage.api.limits import BodyLimits
from lineage.api.orphans import stop_with_parent
from lineage.api.settings import (
    DEFAULT_HOST,
    DEFAULT_MAX_BODY,
    DEFAULT_PORT,
    DEFAULT_WORKERS,
    MAX_CONNECTIONS,
    WORKER_DB_ENV,
    WORKER_MAX_BODY_ENV,
    WORKER_PARENT_ENV,
    workers_problem,
)
from lineage.settings import Settings
from lineage.store import AuditStore

log = logging.getLogger(__name__)
GRACEFUL_SHUTDOWN_SECONDS = 30
STARTUP_TIMEOUT_SECONDS = 30.0
WORKER_APP = f"{__name__}:worker_app"


def serve(
    db: str | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    max_body: int = DEFAULT_MAX_BODY,
    access_log: bool = False,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> None:
    """Serve until interrupted. ValueError: `workers` cannot serve this database."""
    problem = workers_problem(db or Settings.from_env().database_url, workers)
    if problem:
        raise ValueError(problem)
    store = _open_checked(db)
    options: dict[str, Any] = {
        "access_log": access_log,
        "ssl_certfile": tls_cert,
        "ssl_keyfile": tls_key,
    }
    if workers > 1:
        store.close()  # the workers open their own; this process only supervises
        _serve_workers(_worker_config(host, port, workers, options), _url_of(store), max_body)
        return
    app = create_app(store, limits=BodyLimits(max_body=max_body))
    try:
        uvicorn.Server(_config(app, host, port, **options)).run()
    finally:
        store.close()


def _open_checked(db: str | None) -> AuditStore:
    """The store, migrated, with its keys and privacy rules read: once, before the port opens,
    so a missing keys folder or rules file is one clear error here, not one per worker."""
    store = AuditStore.open(db)
    try:
        _ = store.pseudonymizer
        if not has_accounts(store):
            log.warning(
                "no accounts yet: every request will get 401. Create one with "
                "`mlaudit users add NAME --role producer` and `mlaudit tokens create --user NAME`"
            )
    except BaseException:
        store.close()
        raise
    return store


def _url_of(store: AuditStore) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _worker_config(host: str, port: int, workers: int, options: dict[str, Any]) -> uvicorn.Config:
    return _config(
        WORKER_APP,
        host,
        port,
        workers=workers,
        factory=True,
        # A spawned worker answers the supervisor's pings only once it has imported the CLI
        # (its __main__) and uvicorn: 2 s of CPU, past uvicorn's default 5 s on a loaded
        # machine, where the supervisor killed and respawned workers before they ever served.
        timeout_worker_healthcheck=int(STARTUP_TIMEOUT_SECONDS),
        **options,
    )


def _serve_workers(config: uvicorn.Config, url: str, max_body: int) -> None:
    """Bind once, then run config.workers processes on the socket until SIGTERM/SIGINT."""
    # Spawned workers inherit this process's environment: their only settings channel, since
    # uvicorn builds each worker's app by calling an import string without arguments.
    os.environ[WORKER_DB_ENV] = url
    os.environ[WORKER_MAX_BODY_ENV] = str(max_body)
    os.environ[WORKER_PARENT_ENV] = str(os.getpid())
    sock = config.bind_socket()
    supervisor = Multiprocess(config, sockets=[sock])
    try:
        supervisor.run()
    finally:
        sock.close()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        # uvicorn's supervisor stops when a worker cannot start (its startup found the keys
        # changed or the database gone) and would otherwise return as if asked to stop.
        sys.exit(STARTUP_FAILURE)


def worker_app() -> FastAPI:
    """The app of one worker process of `mlaudit serve --workers N` (a uvicorn factory).

    The parent migrated the store and read its keys; a worker only opens it. A worker that
    cannot exits with uvicorn's startup-failure code, which stops the supervisor instead of
    respawning it forever.
    """
    supervisor = os.environ.get(WORKER_PARENT_ENV)
    if supervisor:
        stop_with_parent(int(supervisor))
    try:
        store = AuditStore.open(os.environ[WORKER_DB_ENV], run_migrations=False)
        limits = BodyLimits(max_body=int(os.environ[WORKER_MAX_BODY_ENV]))
    except Exception:
        log.exception("worker %d could not open the store", os.getpid())
        sys.exit(STARTUP_FAILURE)
    app = create_app(store, limits=limits)
    _close_at_shutdown(app, store)
    return app


def _close_at_shutdown(app: FastAPI, store: AuditStore) -> None:
    """Dispose of the store's engine after the app's own shutdown (its writer drains first)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(scope_app: FastAPI) -> AsyncIterator[Any]:
        try:
            async with inner(scope_app) as state:
                yield state
        finally:
            store.close()

    app.router.lifespan_context = lifespan


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
