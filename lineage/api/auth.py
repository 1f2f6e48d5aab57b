"""Bearer tokens to principals, and role checks.

The API has no local mode: whoever reaches the port is not the database's operator, so every
route but health needs a token, even before the first account exists (create accounts and tokens
with `mlaudit users add` and `mlaudit tokens create`).

A verified token is remembered for TOKEN_TTL seconds: checking it costs a database read and a
thread hop, the largest per-request cost after the ingest itself. The price is that revoking a
token, or removing its account, takes effect within that time rather than at once. Failed
tokens are never remembered: each one is checked, and recorded, by the core.

When a token is not in the cache (first use, or its TTL ran out), the concurrent requests that
carry it share one check instead of each making its own: with many connections of one producer,
every expiry otherwise sent a burst of identical reads through the thread pool. Only a success is
shared; a request whose shared check failed checks (and is recorded) on its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from lineage.accounts.actions import record_user_action
from lineage.accounts.auth import token_principal
from lineage.api.audit import LOG_TARGET
from lineage.api.errors import CHALLENGE, ApiError
from lineage.authz import PermissionDenied, Principal, authorize
from lineage.store import AuditStore

TOKEN_TTL = 5.0  # seconds a verified token is trusted without asking the database again
CACHE_LIMIT = 10_000
# auto_error=False: our 401 carries our body and the RFC 6750 challenge.
bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="mla_<id>_<secret>",
    description="An API token from `mlaudit tokens create`.",
)


class TokenCache:
    """Token digest -> (principal, monotonic expiry). Raw tokens are not kept as keys."""

    def __init__(self, ttl: float = TOKEN_TTL) -> None:
        self.ttl = ttl
        self._entries: dict[bytes, tuple[Principal, float]] = {}
        self._lock = threading.Lock()
        self._checks: dict[bytes, asyncio.Future[Principal | None]] = {}  # on the event loop only

    def get(self, token: str) -> Principal | None:
        found = self._entries.get(_digest(token))
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def put(self, token: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= CACHE_LIMIT:
                self._entries.clear()  # rare; a burst of re-checks is cheaper than an LRU
            self._entries[_digest(token)] = (principal, time.monotonic() + self.ttl)

    async def check(self, token: str, store: AuditStore) -> Principal:
        """The token's principal from the database, one check shared by concurrent callers."""
        key = _digest(token)
        running = self._checks.get(key)
        if running is not None:
            shared = await asyncio.shield(running)
            if shared is not None:
                return shared
            # The shared check failed: not shared, this request checks (and is recorded) itself.
            return await run_in_threadpool(token_principal, store, token)
        future: asyncio.Future[Principal | None] = asyncio.get_running_loop().create_future()
        self._checks[key] = future
        shared: Principal | None = None
        try:
            # A database read (and a write when the token is wrong): off the event loop.
            principal = await run_in_threadpool(token_principal, store, token)
            self.put(token, principal)
            shared = principal
        finally:
            del self._checks[key]
            future.set_result(shared)
        return principal


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def get_store(request: Request) -> AuditStore:
    store: AuditStore = request.app.state.store
    return store


async def authenticate(request: Request) -> Principal:
    """The account behind the request's bearer token, or a 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        shown = "no bearer token" if not scheme else "not a bearer token"
        raise ApiError(
            401,
            "unauthorized",
            f"{shown}: send Authorization: Bearer <API token>",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    cache: TokenCache = request.app.state.tokens
    principal = cache.get(token)
    if principal is None:
        principal = await cache.check(token, get_store(request))
    return principal


async def authorized(request: Request, permission: str, action: str) -> Principal:
    """The caller, if a role allows `permission`; else a 403, recorded as `action` denied."""
    principal = await authenticate(request)
    try:
        authorize(principal, permission)
    except PermissionDenied:
        store = get_store(request)
        await run_in_threadpool(
            record_user_action, store, principal, action, LOG_TARGET, outcome="denied"
        )
        raise
    return principal


async def current_principal(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """For read routes (the `bearer` dependency puts the scheme into /openapi.json)."""
    return await authenticate(request)


Caller = Annotated[Principal, Depends(current_principal)]
