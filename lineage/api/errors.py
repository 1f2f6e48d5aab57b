"""Every failure as a JSON body `{"error": code, "message": text, ...}` with the right status.

A client's bad input is always a 4xx; an unavailable database is a 503 with Retry-After (the
OpenLineage client retries 503 and honours Retry-After), so producers retry instead of losing
events; only our own bugs are 500, logged with a reference the client can quote.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from lineage.accounts.auth import AuthenticationFailed
from lineage.authz import PermissionDenied
from lineage.errors import IntegrityError, NotFoundError
from lineage.merkle.heads import HeadFormatError
from lineage.merkle.proofs import ProofError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
# A bearer challenge tells clients which credentials to send (RFC 6750, section 3).
CHALLENGE = 'Bearer realm="mlaudit"'
# Connection-level failures: the database is down, restarting, unreachable or out of connections.
UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


class ApiError(Exception):
    """A failure the client should see as it is: status, a stable code, a message, extra fields."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = extra


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON without FastAPI's jsonable_encoder pass: results are plain dicts already."""
    body = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def error_response(error: ApiError) -> Response:
    body = {"error": error.code, "message": error.message, **error.extra}
    return json_response(body, error.status, error.headers)


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, UNAVAILABLE):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def unavailable() -> ApiError:
    return ApiError(
        503,
        "unavailable",
        "the audit database is unavailable; retry later (resending events is safe: each is "
        "stored once)",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(AuthenticationFailed, _authentication_failed)
    app.add_exception_handler(PermissionDenied, _permission_denied)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ProofError, _proof_error)
    app.add_exception_handler(HeadFormatError, _bad_key)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(RequestValidationError, _bad_parameters)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Database errors get their own handlers: the catch-all below is Starlette's last resort,
    # which re-raises for the server to log a traceback, too loud for a routine outage.
    for kind in (sa_exc.DBAPIError, sa_exc.DisconnectionError, sa_exc.TimeoutError):
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _authentication_failed(_: Request, exc: Exception) -> Response:
    error = f'{CHALLENGE}, error="invalid_token"'
    return error_response(
        ApiError(401, "unauthorized", str(exc), headers={"WWW-Authenticate": error})
    )


async def _permission_denied(_: Request, exc: Exception) -> Response:
    return error_response(ApiError(403, "forbidden", str(exc)))


async def _not_found(_: Request, exc: Exception) -> Response:
    return error_response(ApiError(404, "not_found", str(exc)))


async def _proof_error(_: Request, exc: Exception) -> Response:
    return error_response(ApiError(400, "cannot_prove", str(exc)))


async def _bad_key(_: Request, exc: Exception) -> Response:
    return error_response(ApiError(400, "bad_request", str(exc)))


async def _integrity_error(_: Request, exc: Exception) -> Response:
    """The stored log or tree contradicts itself: evidence for `mlaudit verify`, not a crash."""
    return error_response(ApiError(409, "integrity_error", str(exc)))


async def _bad_parameters(_: Request, exc: Exception) -> Response:
    """Query parameters of the wrong type: 400 naming each, rather than FastAPI's bare 422."""
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"path": ".".join(str(part) for part in e.get("loc", ())), "message": e.get("msg", "")}
        for e in exc.errors()
    ]
    text = "; ".join(f"{p['path']}: {p['message']}" for p in problems)
    return error_response(ApiError(400, "bad_request", text, problems=problems))


async def _http_error(_: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method) in our body shape."""
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    code = codes.get(exc.status_code, "http_error")
    return error_response(
        ApiError(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    if is_unavailable(exc):
        log.warning("database unavailable during %s %s: %s", request.method, request.url.path, exc)
        return error_response(unavailable())
    if isinstance(exc, sa_exc.DataError):
        # A value the database cannot hold (PostgreSQL refuses NUL characters, for one).
        return error_response(ApiError(400, "bad_request", database_refusal(exc)))
    return await _unexpected(request, exc)


def database_refusal(exc: sa_exc.DBAPIError) -> str:
    """The driver's first line, without the SQL and parameters SQLAlchemy appends."""
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else "refused"
    return f"the database refused a value: {reason}"


async def _unexpected(request: Request, exc: Exception) -> Response:
    reference = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s in %s %s", reference, request.method, request.url.path)
    return error_response(
        ApiError(500, "internal_error", f"internal error (reference {reference})")
    )
