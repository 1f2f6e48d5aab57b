"""Authentication: password or API token to a Principal. Failed attempts are audit events."""

from __future__ import annotations

from sqlalchemy import select

from lineage.accounts.actions import record_user_action
from lineage.accounts.identity import subject_of
from lineage.accounts.secrets import password_matches, secret_matches, split_token
from lineage.authz import Principal
from lineage.errors import AuditError
from lineage.models.accounts import Account, ApiToken
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

ACCOUNTS = Account.__table__
TOKENS = ApiToken.__table__
# Failed logins are recorded under this service identity: the caller is not authenticated.
ANONYMOUS = Principal(name="anonymous", roles=(), kind="service")


class AuthenticationFailed(AuditError):
    """Wrong credentials, or a disabled account or token. Says no more, on purpose."""


def login(store: AuditStore, username: str, password: str) -> Principal:
    subject = subject_of(store, username)
    with store.engine.connect() as conn:
        row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.subject == subject)).first()
    if row is None or row.status != "active" or not password_matches(row.password_hash, password):
        _failed(store, "password", username)
        raise AuthenticationFailed("wrong user name or password")
    return _principal(username, row)


def token_principal(store: AuditStore, token: str, username_hint: str | None = None) -> Principal:
    """The account behind a bearer token. Its login name is unknown here: the subject stands in."""
    parts = split_token(token)
    row = _token_row(store, parts[0]) if parts else None
    now = now_store_time()
    valid = (
        row is not None
        and parts is not None
        and secret_matches(row.secret_hash, parts[1])
        and row.revoked_at is None
        and (row.expires_at is None or row.expires_at > now)
        and row.status == "active"
    )
    if not valid:
        _failed(store, "token", parts[0] if parts else "malformed")
        raise AuthenticationFailed("invalid, expired or revoked API token")
    name = (
        username_hint
        if username_hint and subject_of(store, username_hint) == row.subject
        else row.subject
    )
    return _principal(name, row)


def _token_row(store: AuditStore, token_id: str):  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return conn.execute(
            select(TOKENS.c.secret_hash, TOKENS.c.revoked_at, TOKENS.c.expires_at, ACCOUNTS)
            .join(ACCOUNTS, ACCOUNTS.c.id == TOKENS.c.account_id)
            .where(TOKENS.c.token_id == token_id)
        ).first()


def _principal(name: str, row) -> Principal:  # type: ignore[no-untyped-def]
    return Principal(name=name, roles=tuple(row.roles), kind="user", projects=tuple(row.projects))


def _failed(store: AuditStore, method: str, who: str) -> None:
    kind = "account" if method == "password" else "token"
    record_user_action(
        store,
        ANONYMOUS,
        "login.failed",
        {"kind": kind, "name": who},
        outcome="failed",
        details={"method": method},
    )
