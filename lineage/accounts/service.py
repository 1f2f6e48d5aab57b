"""Account administration: create, remove, grant, revoke, tokens. Each change is an audit event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select, update

from lineage.accounts.actions import record_user_action
from lineage.accounts.identity import subject_of
from lineage.accounts.secrets import MIN_PASSWORD, hash_password, new_token
from lineage.authz import MANAGE_ACCOUNTS, ROLES, Principal, authorize, is_allowed
from lineage.errors import AuditError, NotFoundError
from lineage.models.accounts import Account, ApiToken
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

ACCOUNTS = Account.__table__
TOKENS = ApiToken.__table__


class AccountError(AuditError):
    """An account operation that cannot be done as asked."""


def has_accounts(store: AuditStore) -> bool:
    with store.engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(ACCOUNTS).where(ACCOUNTS.c.status == "active")
        ).scalar_one()
    return count > 0


def find_account(store: AuditStore, username: str) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(
            select(ACCOUNTS).where(ACCOUNTS.c.subject == subject_of(store, username))
        ).first()
    if row is None or row.status == "removed":
        raise NotFoundError(f"no account named {username!r}")
    return dict(row._mapping)


def add_user(
    store: AuditStore,
    by: Principal,
    username: str,
    roles: Iterable[str],
    *,
    password: str | None = None,
    projects: Iterable[str] = (),
) -> dict[str, Any]:
    """Create an account (the first one may be created by the local operator: it must be admin)."""
    authorize(by, MANAGE_ACCOUNTS)
    roles, projects = _check_roles(roles), list(projects)
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: at least {MIN_PASSWORD} characters")
    subject, now = subject_of(store, username), now_store_time()
    with store.engine.begin() as conn:
        existing = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.subject == subject)).first()
        if existing is not None and existing.status != "removed":
            raise AccountError(f"an account named {username!r} already exists")
        values = {
            "subject": subject,
            "roles": roles,
            "projects": projects,
            "status": "active",
            "password_hash": hash_password(password) if password else None,
            "updated_at": now,
        }
        if existing is None:
            conn.execute(insert(ACCOUNTS).values(created_at=now, **values))
        else:
            conn.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == existing.id).values(**values))
    _log(store, by, "account.create", username, {"roles": roles, "projects": projects})
    return find_account(store, username)


def remove_user(store: AuditStore, by: Principal, username: str) -> None:
    """Disable the account for good and revoke its tokens; its history stays in the log."""
    authorize(by, MANAGE_ACCOUNTS)
    account, now = find_account(store, username), now_store_time()
    with store.engine.begin() as conn:
        conn.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.id == account["id"])
            .values(status="removed", password_hash=None, updated_at=now)
        )
        conn.execute(
            update(TOKENS)
            .where(TOKENS.c.account_id == account["id"], TOKENS.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    _log(store, by, "account.remove", username, {})


def set_roles(
    store: AuditStore, by: Principal, username: str, role: str, *, grant: bool
) -> list[str]:
    authorize(by, MANAGE_ACCOUNTS)
    (role,) = _check_roles([role])
    account = find_account(store, username)
    roles = (
        sorted(set(account["roles"]) | {role})
        if grant
        else [r for r in account["roles"] if r != role]
    )
    if not grant and role not in account["roles"]:
        raise AccountError(f"{username!r} does not have role {role!r}")
    with store.engine.begin() as conn:
        conn.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.id == account["id"])
            .values(roles=roles, updated_at=now_store_time())
        )
    _log(
        store,
        by,
        "role.grant" if grant else "role.revoke",
        username,
        {"role": role, "roles": roles},
    )
    return roles


def list_accounts(store: AuditStore, by: Principal) -> list[dict[str, Any]]:
    """Accounts with their pseudonymous subject (names live only in the encrypted vault)."""
    authorize(by, MANAGE_ACCOUNTS)
    with store.engine.connect() as conn:
        rows = conn.execute(select(ACCOUNTS).order_by(ACCOUNTS.c.id)).all()
    return [
        {
            k: r._mapping[k]
            for k in ("subject", "roles", "projects", "status", "created_at", "updated_at")
        }
        for r in rows
    ]


def create_token(
    store: AuditStore,
    by: Principal,
    username: str,
    *,
    label: str = "",
    expires_at: str | None = None,
) -> str:
    """A new API token for `username`, returned once; only its hash is stored."""
    if username != by.name:
        authorize(by, MANAGE_ACCOUNTS)
    account = find_account(store, username)
    token, token_id, hashed = new_token()
    with store.engine.begin() as conn:
        conn.execute(
            insert(TOKENS).values(
                token_id=token_id,
                account_id=account["id"],
                secret_hash=hashed,
                label=label,
                created_at=now_store_time(),
                expires_at=expires_at,
            )
        )
    _log(store, by, "token.create", username, {"token_id": token_id, "label": label})
    return token


def list_tokens(
    store: AuditStore, by: Principal, username: str | None = None
) -> list[dict[str, Any]]:
    """The API tokens of `username` (default: an admin sees every account's, anyone else their
    own), oldest first, with their state now; never their secrets."""
    admin = is_allowed(by, MANAGE_ACCOUNTS)
    mine = subject_of(store, by.name) if by.kind != "local" else None
    if username is not None:
        subject: str | None = find_account(store, username)["subject"]
        if subject != mine:
            authorize(by, MANAGE_ACCOUNTS)
    elif admin:
        subject = None  # every account's
    else:
        subject = mine
    query = select(TOKENS, ACCOUNTS.c.subject).join(ACCOUNTS, ACCOUNTS.c.id == TOKENS.c.account_id)
    if subject is not None:
        query = query.where(ACCOUNTS.c.subject == subject)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(TOKENS.c.id)).all()
    now = now_store_time()
    return [{**_token_view(r._mapping), "state": _token_state(r._mapping, now)} for r in rows]


def _token_view(row: Any) -> dict[str, Any]:
    fields = ("token_id", "subject", "label", "created_at", "expires_at", "revoked_at")
    return {k: row[k] for k in fields}


def _token_state(row: Any, now: str) -> str:
    if row["revoked_at"]:
        return "revoked"
    return "expired" if row["expires_at"] and row["expires_at"] <= now else "active"


def revoke_token(store: AuditStore, by: Principal, token_id: str) -> None:
    with store.engine.connect() as conn:
        row = conn.execute(
            select(TOKENS, ACCOUNTS.c.subject)
            .join(ACCOUNTS, ACCOUNTS.c.id == TOKENS.c.account_id)
            .where(TOKENS.c.token_id == token_id)
        ).first()
    if row is None:
        raise NotFoundError(f"no token with id {token_id!r}")
    if row.subject != subject_of(store, by.name):
        authorize(by, MANAGE_ACCOUNTS)
    with store.engine.begin() as conn:
        conn.execute(
            update(TOKENS).where(TOKENS.c.token_id == token_id).values(revoked_at=now_store_time())
        )
    record_user_action(store, by, "token.revoke", {"kind": "token", "name": token_id})


def _check_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown or not chosen:
        raise AccountError(
            f"unknown or missing role {unknown or ''}: choose from {', '.join(ROLES)}"
        )
    return chosen


def _log(
    store: AuditStore, by: Principal, action: str, username: str, details: dict[str, Any]
) -> None:
    record_user_action(store, by, action, {"kind": "account", "name": username}, details=details)
