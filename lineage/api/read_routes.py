"""The CLI's lineage questions over HTTP: trace, impact, history and the raw log.

Each read is authorized and recorded as a user action exactly as the CLI does it (same action
names, targets and details), and answered with personal data redacted for roles without
read_personal. Handlers are plain functions: FastAPI runs them in its thread pool, so their
database calls never block the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from lineage.accounts.redaction import for_principal
from lineage.api.audit import audited
from lineage.api.auth import Caller, get_store
from lineage.api.errors import ApiError, json_response
from lineage.api.openapi import READ_ERRORS
from lineage.api.settings import MAX_JSON_INT
from lineage.authz import READ_EVENTS, READ_LINEAGE, READ_PERSONAL, Principal
from lineage.categories import CATEGORIES
from lineage.privacy.pseudonyms import pseudonym_for
from lineage.queries import dataset_history, impact, list_events, trace
from lineage.queries.impact import PAGE as IMPACT_PAGE
from lineage.queries.resolve import resolve_dataset
from lineage.store import AuditStore
from lineage.timeutil import to_store_time

router = APIRouter(prefix="/api/v1", tags=["lineage"], responses=READ_ERRORS)
Store = Annotated[AuditStore, Depends(get_store)]
Namespace = Annotated[str | None, Query(description="Dataset namespace, when a name is ambiguous.")]
AsOf = Annotated[str | None, Query(description="ISO-8601 time: the lineage as it stood then.")]
IMPACT_PAGE_MAX = 1000  # versions per page: an answer bounded whatever the source


@router.get("/trace", summary="Trace a model version back to its raw data")
def get_trace(
    store: Store,
    principal: Caller,
    model: Annotated[str, Query(description="Model name (its OpenLineage dataset name).")],
    version: Annotated[str | None, Query(description="Model version (default: newest).")] = None,
    as_of: AsOf = None,
    namespace: Namespace = None,
) -> Response:
    _time("as_of", as_of)
    _read(store, principal, "log.read.trace", model, namespace, version=version, as_of=as_of)
    result = trace(store.engine, model, version=version, as_of=as_of, namespace=namespace)
    return json_response(for_principal(result, principal))


@router.get("/impact", summary="Everything downstream of a dataset")
def get_impact(
    store: Store,
    principal: Caller,
    dataset: Annotated[str, Query(description="Dataset name.")],
    as_of: AsOf = None,
    namespace: Namespace = None,
    limit: Annotated[
        int, Query(ge=1, le=IMPACT_PAGE_MAX, description="Affected versions per page.")
    ] = IMPACT_PAGE,
    offset: Annotated[
        int, Query(ge=0, le=MAX_JSON_INT, description="Affected versions to skip (nearest first).")
    ] = 0,
    kind: Annotated[
        Literal["DATASET", "MODEL"] | None,
        Query(description="Page only the versions of datasets, or of models."),
    ] = None,
) -> Response:
    _time("as_of", as_of)
    _read(store, principal, "log.read.impact", dataset, namespace, as_of=as_of)
    page = {"limit": limit, "offset": offset, "kind": kind}
    result = impact(store.engine, dataset, namespace=namespace, as_of=as_of, **page)
    return json_response(for_principal(result, principal))


@router.get("/history", summary="Who created, modified, read and deleted a dataset or model")
def get_history(
    store: Store,
    principal: Caller,
    dataset: Annotated[str, Query(description="Dataset or model name.")],
    limit: Annotated[
        int, Query(ge=1, le=100_000, description="At most this many accesses.")
    ] = 1000,
    namespace: Namespace = None,
) -> Response:
    _read(store, principal, "log.read.history", dataset, namespace)
    result = dataset_history(store.engine, dataset, namespace=namespace, limit=limit)
    return json_response(for_principal(result, principal))


@router.get("/events", summary="The raw audit log, oldest first, paged by sequence number")
def get_events(
    store: Store,
    principal: Caller,
    since: Annotated[str | None, Query(description="ISO time: events at or after.")] = None,
    until: Annotated[str | None, Query(description="ISO time: events at or before.")] = None,
    actor: Annotated[
        str | None, Query(description="Only this actor, as stored (a pseudonym for people).")
    ] = None,
    category: Annotated[str | None, Query(description=f"One of: {', '.join(CATEGORIES)}.")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many.")] = 100,
    after: Annotated[
        int, Query(ge=0, le=MAX_JSON_INT, description="Only entries after this seq.")
    ] = 0,
    payload: Annotated[bool, Query(description="Include each stored event.")] = False,
) -> Response:
    if category is not None and category not in CATEGORIES:
        raise ApiError(
            400, "bad_request", f"unknown category {category!r}; one of: {', '.join(CATEGORIES)}"
        )
    _time("since", since)
    _time("until", until)
    # Payloads hold pseudonyms in facets, which redaction by key cannot reach: all or nothing.
    permissions = (READ_EVENTS, READ_PERSONAL) if payload else (READ_EVENTS,)
    details = {
        "since": since,
        "until": until,
        "category": category,
        "limit": limit,
        "after": after,
        # A filter typed as a plain name is personal data: the log records its pseudonym.
        "actor": pseudonym_for(actor, store.keys.pseudonym_key()) if actor else None,
    }
    audited(store, principal, "log.read.events", permissions, details=details)
    rows = list_events(
        store.engine,
        since=since,
        until=until,
        actor=actor,
        category=category,
        limit=limit,
        after_seq=after,
        with_payload=payload,
    )
    following = rows[-1]["seq"] if len(rows) == limit else None
    return json_response({"events": for_principal(rows, principal), "next_after": following})


def _read(
    store: AuditStore,
    principal: Principal,
    action: str,
    name: str,
    namespace: str | None,
    **details: Any,
) -> None:
    """Resolve the dataset, check the caller may read it, record the read (as the CLI does)."""
    with store.engine.connect() as conn:
        found = resolve_dataset(conn, name, namespace=namespace)
    resource = f"{found['namespace']}/{found['name']}"
    target = {"kind": found["kind"].lower(), "name": resource}
    audited(store, principal, action, READ_LINEAGE, target, resource=resource, details=details)


def _time(name: str, value: str | None) -> None:
    if value is None:
        return
    try:
        to_store_time(value)
    except (ValueError, OverflowError) as exc:
        raise ApiError(400, "bad_request", f"{name}: {exc}") from None
