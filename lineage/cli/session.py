"""Who is running this command: a token, a user and password, or the local operator.

Until the first account exists the store is in local mode: whoever can open the database is its
operator (as with any embedded database). Once an account exists, every command needs
credentials: MLAUDIT_TOKEN, or MLAUDIT_USER with MLAUDIT_PASSWORD (prompted on a terminal).
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from lineage.accounts.actions import record_user_action
from lineage.accounts.auth import login, token_principal
from lineage.accounts.service import has_accounts
from lineage.authz import ROLES, Principal, authorize
from lineage.errors import AuditError
from lineage.privacy.pseudonyms import is_pseudonym, pseudonym_for
from lineage.store import AuditStore

LOCAL_OPERATOR = Principal(name="local-operator", roles=ROLES, kind="local")


class AuthenticationRequired(AuditError):
    """The store has accounts and the command was given no credentials."""


def current_principal(store: AuditStore) -> Principal:
    token = os.environ.get("MLAUDIT_TOKEN")
    user = os.environ.get("MLAUDIT_USER")
    if token:
        return token_principal(store, token, username_hint=user)
    if user:
        return login(store, user, _password(user))
    if not has_accounts(store):
        return LOCAL_OPERATOR
    raise AuthenticationRequired(
        "this audit log has accounts: set MLAUDIT_TOKEN, or MLAUDIT_USER (and MLAUDIT_PASSWORD)"
    )


def _password(user: str) -> str:
    password = os.environ.get("MLAUDIT_PASSWORD")
    if password is not None:
        return password
    if sys.stdin.isatty():
        return getpass.getpass(f"password for {user}: ")
    raise AuthenticationRequired(f"no password for {user}: set MLAUDIT_PASSWORD")


def permit(
    store: AuditStore,
    action: str,
    permission: str,
    target: dict[str, str],
    resource: str | None = None,
    details: dict[str, Any] | None = None,
) -> Principal:
    """Authorize the caller; a refusal is recorded as an audit event, then raised."""
    principal = current_principal(store)
    try:
        authorize(principal, permission, resource)
    except AuditError:
        record_user_action(store, principal, action, target, outcome="denied", details=details)
        raise
    return principal


def audited(
    store: AuditStore,
    action: str,
    permission: str,
    target: dict[str, str],
    resource: str | None = None,
    details: dict[str, Any] | None = None,
) -> Principal:
    """Authorize a read of the log and record it before it happens."""
    principal = permit(store, action, permission, target, resource, details)
    record_user_action(store, principal, action, target, details=details)
    return principal


def actor_values(store: AuditStore, actor: str) -> list[str]:
    """What an actor filter matches: the value itself and, for a person's name, its pseudonym."""
    values = [actor]
    if not is_pseudonym(actor):
        values.append(pseudonym_for(actor, store.keys.pseudonym_key()))
    return values
