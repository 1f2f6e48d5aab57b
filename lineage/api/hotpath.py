"""`POST /api/v1/lineage` straight to its endpoint, past the framework's per-request layers.

Producers send one event per request, so this route's fixed cost is the server's throughput.
Profiled under 64 concurrent connections (py-spy, SQLite), FastAPI's routing, dependency solver,
exception and exit-stack middlewares took more of the server's CPU than the endpoint's own work.
The route stays declared on the app (same endpoint function, same OpenAPI); the app only calls
it directly, and hands an error to its own exception handler for the error's class, so every
answer is the one the routed endpoint gives. A first version was a middleware; inside FastAPI's
stack it still paid for the error and telemetry layers (another ~15% of the HTTP side's samples
with the store's ingest stubbed out).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Exception], Awaitable[Response]]


class HotPathApp(FastAPI):
    """FastAPI, with one route (`serve_directly`) answered before the framework's own layers:
    its middleware stack (error, telemetry, exception, exit-stack), routing and dependencies."""

    _hot: tuple[str, str, Endpoint] | None = None

    def serve_directly(self, method: str, path: str, endpoint: Endpoint) -> None:
        self._hot = (method, path, endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self._endpoint(scope)
        if endpoint is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self  # as Starlette sets it: request.app is this app
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = _handler(self, exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)

    def _endpoint(self, scope: Scope) -> Endpoint | None:
        if self._hot is None or scope["type"] != "http":
            return None
        method, path, endpoint = self._hot
        if scope["method"] != method or get_route_path(scope) != path:
            return None
        return endpoint


def _handler(app: FastAPI, exc: Exception) -> Handler | None:
    """The app's handler for the most specific class of `exc`, as Starlette looks it up."""
    handlers = app.exception_handlers
    for kind in type(exc).__mro__:
        if kind in handlers:
            handler: Handler = handlers[kind]
            return handler
    return None
