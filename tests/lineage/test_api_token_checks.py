"""TokenCache.check: concurrent requests with an uncached token share one database check."""

from __future__ import annotations

import asyncio
import time

import pytest

from lineage.accounts.auth import AuthenticationFailed
from lineage.api import auth
from lineage.api.auth import TokenCache
from lineage.authz import Principal

ALICE = Principal(name="alice", roles=("producer",))


def checks(monkeypatch: pytest.MonkeyPatch, *, valid: bool) -> list[str]:
    """Stand in for the database check; returns the list of tokens it was asked about."""
    asked: list[str] = []

    def token_principal(_store: object, token: str) -> Principal:
        asked.append(token)
        time.sleep(0.05)  # long enough that the other requests arrive while it runs
        if not valid:
            raise AuthenticationFailed("unknown token")
        return ALICE

    monkeypatch.setattr(auth, "token_principal", token_principal)
    return asked


async def check_many(cache: TokenCache, count: int) -> list[Principal | BaseException]:
    calls = [cache.check("mla_x_secret", None) for _ in range(count)]  # type: ignore[arg-type]
    return await asyncio.gather(*calls, return_exceptions=True)


def test_concurrent_checks_of_one_token_share_one_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = checks(monkeypatch, valid=True)
    cache = TokenCache()
    assert asyncio.run(check_many(cache, 8)) == [ALICE] * 8
    assert asked == ["mla_x_secret"]
    assert cache.get("mla_x_secret") == ALICE


def test_a_failed_check_is_not_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = checks(monkeypatch, valid=False)
    cache = TokenCache()
    answers = asyncio.run(check_many(cache, 4))
    assert all(isinstance(answer, AuthenticationFailed) for answer in answers)
    assert len(asked) == 4  # each request was checked (and so recorded) on its own
    assert cache.get("mla_x_secret") is None
