"""Cached access to the audit store: one store per process, query results cached by parameters.

Every cached function takes the database URL as its first argument, so two stores (tests, or a
changed MLAUDIT_DATABASE_URL) never share results. TTLs are short (a minute for lineage, half
a minute for search boxes) because the log grows while people look at it; the Overview's
activity chart is one of these too, as it sums hourly counts the append keeps rather than
counting the log. Results are cached raw and redacted per principal on the way out
(`visible`), so one cache serves every role.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from lineage.accounts.redaction import REDACTED, for_principal
from lineage.accounts.service import find_account, has_accounts
from lineage.authz import READ_PERSONAL, Principal, is_allowed
from lineage.errors import NotFoundError
from lineage.evidence import build_pack, check_pack, render_html
from lineage.merkle.heads import public_key_hex, trusted_keys
from lineage.privacy import is_pseudonym
from lineage.queries import impact, trace
from lineage.queries.access import access_page
from lineage.queries.activity import actor_entries, actor_summary, known_actors
from lineage.queries.details import run_details, version_details
from lineage.queries.entries import search_entries
from lineage.queries.models import (
    deployment_history,
    metrics_over_time,
    model_versions,
    version_profile,
)
from lineage.queries.overview import category_counts, totals
from lineage.queries.search import search_datasets
from lineage.settings import Settings
from lineage.store import AuditStore

QUERY_TTL = 60  # seconds: lineage answers
SEARCH_TTL = 30  # seconds: what a search box shows

QUERIES: dict[str, Callable[..., Any]] = {
    "trace": trace,
    "impact": impact,
    "access_page": access_page,
    "actor_summary": actor_summary,
    "actor_entries": actor_entries,
    "version_details": version_details,
    "run_details": run_details,
    "entries": search_entries,
    "model_versions": model_versions,
    "version_profile": version_profile,
    "metrics": metrics_over_time,
    "deployments": deployment_history,
    "category_counts": category_counts,
    "totals": totals,
    "evidence": build_pack,
}
SEARCHES: dict[str, Callable[..., Any]] = {
    "datasets": search_datasets,
    "actors": known_actors,
}


@st.cache_resource(show_spinner=False)
def _store(url: str, keys_dir: str) -> AuditStore:
    """Opened (and migrated) once per database and process, shared by every session."""
    settings = Settings.from_env()
    return AuditStore.open(url, settings=settings)


def store() -> AuditStore:
    settings = Settings.from_env()
    return _store(settings.database_url, str(settings.keys_dir))


def url() -> str:
    return Settings.from_env().database_url


def _key(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(params.items()))


@st.cache_data(ttl=QUERY_TTL, show_spinner=False, max_entries=1000)
def _query(db: str, which: str, params: tuple[tuple[str, Any], ...]) -> Any:
    return QUERIES[which](store().engine, **dict(params))


@st.cache_data(ttl=SEARCH_TTL, show_spinner=False, max_entries=1000)
def _search(db: str, which: str, params: tuple[tuple[str, Any], ...]) -> Any:
    return SEARCHES[which](store().engine, **dict(params))


def query(which: str, /, **params: Any) -> Any:
    """The named lineage query, cached by (database, parameters) for QUERY_TTL seconds."""
    return _query(url(), which, _key(params))


def search(which: str, /, **params: Any) -> Any:
    """A search-box query (small, LIMITed), cached for SEARCH_TTL seconds."""
    return _search(url(), which, _key(params))


@st.cache_data(ttl=QUERY_TTL, show_spinner=False, max_entries=50)
def _evidence_files(db: str, params: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    pack = _query(db, "evidence", params)
    pinned = log_public_key()
    return {
        "check": check_pack(pack, pinned),
        "json": json.dumps(pack, indent=2, sort_keys=True, ensure_ascii=False),
        "html": render_html(pack, pinned),
    }


def log_public_key() -> str | None:
    """This log's own head-signing public key, when this process holds the signing key.

    Never creates one: a missing key means the app only checks against the key a head carries
    (and says so), rather than minting a new key no head was signed with.
    """
    keys = store().keys
    if not (Path(keys.keys_dir) / "signing.pem").exists():
        return None
    return public_key_hex(next(iter(trusted_keys(keys).values())))


def evidence_files(**params: Any) -> dict[str, Any]:
    """The pack's self-check and its two renderings, built once per pack and cached."""
    return _evidence_files(url(), _key(params))


@st.cache_data(ttl=30, show_spinner=False, max_entries=1000)
def _account(db: str, username: str) -> dict[str, Any] | None:
    try:
        row = find_account(store(), username)
    except NotFoundError:
        return None
    return {k: row[k] for k in ("roles", "projects", "status")}


def account(username: str) -> dict[str, Any] | None:
    """The account's roles and status, at most 30 s old: revocations reach open sessions fast."""
    return _account(url(), username)


def accounts_exist() -> bool:
    return has_accounts(store())


def visible(result: Any, principal: Principal) -> Any:
    """The result as the principal may see it: without READ_PERSONAL, no pseudonym anywhere.

    `for_principal` clears the known person fields; pseudonyms also sit inside facets and user
    action targets, so every string that is a pseudonym is replaced too.
    """
    if is_allowed(principal, READ_PERSONAL):
        return result
    return _scrub(for_principal(result, principal))


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, str) and (is_pseudonym(value) or "psn:" in value):
        return REDACTED
    return value
