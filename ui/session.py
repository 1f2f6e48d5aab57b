"""Who is signed in, and the record of what they look at.

The principal lives in Streamlit's per-browser-session state. It is re-read from the account
(at most 30 s stale) on every run, so a removed account or a revoked role takes effect in open
sessions too, and an idle session signs itself out.
"""

from __future__ import annotations

import json
import time
from typing import Any

import streamlit as st

from lineage.accounts.actions import record_user_action
from lineage.accounts.auth import login
from lineage.authz import PROJECT_SCOPED, READ_LINEAGE, ROLE_PERMISSIONS, Principal
from lineage.privacy import is_pseudonym, pseudonym_for
from ui import data

PRINCIPAL = "mlaudit_principal"
LAST_SEEN = "mlaudit_last_seen"
LAST_VIEW = "mlaudit_last_view"
PAGE = "mlaudit_page"
# Session keys whose values must not outlive a page visit (a revealed identity).
PAGE_SECRETS = ("activity_revealed",)
NOTICE = "mlaudit_notice"
IDLE_LIMIT = 30 * 60  # seconds without a rerun before the session signs itself out


def current() -> Principal | None:
    """The signed-in principal with fresh roles, or None (signed out, idle, account removed)."""
    principal: Principal | None = st.session_state.get(PRINCIPAL)
    if principal is None:
        return None
    if time.monotonic() - st.session_state.get(LAST_SEEN, 0.0) > IDLE_LIMIT:
        _forget("You were signed out after 30 minutes without activity.")
        return None
    state = data.account(principal.name)
    if state is None or state["status"] != "active":
        _forget("Your account is no longer active: you were signed out.")
        return None
    fresh = Principal(
        name=principal.name,
        roles=tuple(state["roles"]),
        kind="user",
        projects=tuple(state["projects"]),
    )
    st.session_state[PRINCIPAL] = fresh
    st.session_state[LAST_SEEN] = time.monotonic()
    return fresh


def require() -> Principal:
    """The principal the router refreshed for this run; pages stop when there is none."""
    principal: Principal | None = st.session_state.get(PRINCIPAL)
    if principal is None:
        st.stop()
    return principal


def sign_in(username: str, password: str) -> Principal:
    """Check the password (a failure is recorded by `login` itself) and record the sign-in."""
    store = data.store()
    principal = login(store, username, password)
    record_user_action(store, principal, "ui.login", {"kind": "account", "name": username})
    st.session_state[PRINCIPAL] = principal
    st.session_state[LAST_SEEN] = time.monotonic()
    st.session_state.pop(LAST_VIEW, None)
    return principal


def sign_out() -> None:
    principal: Principal | None = st.session_state.get(PRINCIPAL)
    if principal is not None:
        record_user_action(
            data.store(), principal, "ui.logout", {"kind": "account", "name": principal.name}
        )
    _forget("You are signed out.")


def _forget(notice: str) -> None:
    """Drop everything, widget values included: the next person at this browser starts clean."""
    st.session_state.clear()
    st.session_state[NOTICE] = notice


def take_notice() -> str | None:
    """A message for the sign-in page about why the session ended (shown once)."""
    return st.session_state.pop(NOTICE, None)


def entered(page: str) -> None:
    """Called by the router on every run: a different page than last run is a new visit."""
    if st.session_state.get(PAGE) != page:
        st.session_state[PAGE] = page
        st.session_state.pop(LAST_VIEW, None)
        for key in PAGE_SECRETS:
            st.session_state.pop(key, None)


def record_view(
    principal: Principal,
    action: str,
    target: dict[str, str],
    details: dict[str, Any] | None = None,
) -> None:
    """Record a page view once per visit and per parameter change, never per rerun.

    Recording comes before the data is shown: if the log cannot take the record, the page stops
    (an unrecorded read of the audit log is exactly what this app must not allow).
    """
    clean = {k: v for k, v in (details or {}).items() if v not in (None, "", [], ())}
    key = json.dumps([action, target, clean], sort_keys=True, default=str)
    if st.session_state.get(LAST_VIEW) == key:
        return
    record_user_action(data.store(), principal, action, target, details=clean)
    st.session_state[LAST_VIEW] = key


def as_recorded(name: str) -> str:
    """A name typed into a filter, as the log may hold it: a pseudonym (it may be a person)."""
    if is_pseudonym(name):
        return name
    return pseudonym_for(name, data.store().keys.pseudonym_key())


def record_visit(principal: Principal, action: str, page: str) -> None:
    """A visit before anything is chosen: the page itself was seen (its search results too)."""
    record_view(principal, action, {"kind": "page", "name": page})


def record_denied(principal: Principal, action: str, target: dict[str, str]) -> None:
    record_user_action(data.store(), principal, action, target, outcome="denied")


def record_action(
    principal: Principal,
    action: str,
    target: dict[str, str],
    details: dict[str, Any] | None = None,
) -> None:
    """An explicit act (an export, a reveal): recorded every time it happens."""
    record_user_action(data.store(), principal, action, target, details=details or {})


def scope(principal: Principal) -> tuple[str, ...] | None:
    """Project patterns limiting what the principal may read; None when nothing limits it."""
    unscoped = any(
        READ_LINEAGE in ROLE_PERMISSIONS.get(role, frozenset()) and role not in PROJECT_SCOPED
        for role in principal.roles
    )
    return None if unscoped else tuple(principal.projects)
