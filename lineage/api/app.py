"""`create_app(store)`: the FastAPI application over one open audit store.

The store (engine, connection pool, keys) is opened once per process by the caller and shared by
every request; nothing per request migrates, opens engines or reads key files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lineage.api import ingest_routes, integrity_routes, read_routes
from lineage.api.auth import TokenCache
from lineage.api.errors import install_handlers, is_unavailable, json_response, unavailable
from lineage.api.hotpath import HotPathApp
from lineage.api.limits import BodyLimits
from lineage.api.writer import BatchingWriter
from lineage.store import AuditStore

DESCRIPTION = """\
A tamper-evident audit trail for ML platforms. Producers send OpenLineage events to
`POST /api/v1/lineage` (one) or `/api/v1/lineage/batch` (an array), as the OpenLineage HTTP API
defines them; point an OpenLineage client's HTTP transport at this server with an API token.
Auditors ask the same questions as the `mlaudit` CLI. Every route but `/api/v1/health` needs
`Authorization: Bearer <token>` (`mlaudit tokens create`).
"""

# mlaudit sets up no OpenTelemetry provider; left on, FastAPI asks the global providers whether
# one exists on every request: 11% of the server's GIL samples under one-event-per-request load.
NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def create_app(store: AuditStore, *, limits: BodyLimits | None = None) -> FastAPI:
    writer = BatchingWriter(store)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Read the pseudonym key now: a missing or wrong keys folder fails at startup, not at
        # the first producer's event.
        await run_in_threadpool(lambda: store.pseudonymizer)
        yield
        await run_in_threadpool(writer.close)

    app = HotPathApp(
        title="mlaudit",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        redoc_url=None,
        telemetry=NO_TELEMETRY,
    )
    app.state.store = store
    app.state.writer = writer
    app.state.limits = limits or BodyLimits()
    app.state.tokens = TokenCache()
    install_handlers(app)
    # The one-event route is the hot path: served past the framework's routing (hotpath.py).
    app.serve_directly("POST", "/api/v1/lineage", ingest_routes.post_event)
    app.include_router(ingest_routes.router)
    app.include_router(read_routes.router)
    app.include_router(integrity_routes.router)
    app.add_api_route(
        "/api/v1/health", health, methods=["GET"], tags=["health"], summary="Liveness (no auth)"
    )
    return app


def health(request: Request) -> Response:
    """200 when the database answers, else 503 with Retry-After: for load balancers."""
    store: AuditStore = request.app.state.store
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        error = unavailable()
        return json_response({"status": "unavailable"}, 503, error.headers)
    return json_response({"status": "ok", "database": store.dialect})


def _version() -> str:
    try:
        return version("mlaudit")
    except PackageNotFoundError:
        return "0"
