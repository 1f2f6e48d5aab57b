"""`POST /api/v1/lineage` and `/api/v1/lineage/batch`, as OpenLineage's HTTP API defines them.

Events go through the core's one ingest path (`AuditStore.ingest`, strict=False) via the group
commit writer; the token's account is the submitter of each entry. Resending an event returns the
same sequence number and stores nothing (idempotency key = hash of the canonical event), so
producers can retry any failure, including a 503 after which the event turns out stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from lineage.api.auth import authorized
from lineage.api.errors import ApiError, json_response
from lineage.api.limits import read_json
from lineage.api.openapi import BEARER, BODY_ERRORS, EVENT_SCHEMA, request_body
from lineage.authz import WRITE_EVENTS, Principal
from lineage.ingest_result import Accepted, IngestResult, Rejected
from lineage.validation import Violation

router = APIRouter(prefix="/api/v1", tags=["OpenLineage"])
BATCH_SCHEMA = {"type": "array", "items": EVENT_SCHEMA}


@router.post(
    "/lineage",
    summary="Send one OpenLineage event",
    responses=BODY_ERRORS,
    openapi_extra={**request_body(EVENT_SCHEMA), **BEARER},
)
async def post_event(request: Request) -> Response:
    """200 `{status, seq, key, duplicate}` once stored (or already stored: same seq)."""
    # Authenticated inline, not through FastAPI's dependency solver: this is the hot path.
    principal = await authorized(request, WRITE_EVENTS, "log.write")
    value = await read_json(request, request.app.state.limits)
    if not isinstance(value, dict):
        hint = "; send arrays to /api/v1/lineage/batch" if isinstance(value, list) else ""
        raise ApiError(
            400, "not_an_event", f"an event must be a JSON object, got {json_type(value)}{hint}"
        )
    result = await _ingest(request, [value], principal)
    if result.rejected:
        violations = result.rejected[0].violations
        raise ApiError(
            400,
            "invalid_event",
            f"the event is invalid ({_count(violations)}); nothing was stored: "
            + _reason(result.rejected[0]),
            violations=[_violation(v) for v in violations],
        )
    return json_response({"status": "success", **_accepted(result.accepted[0])})


@router.post(
    "/lineage/batch",
    summary="Send a batch of OpenLineage events",
    responses=BODY_ERRORS,
    openapi_extra={**request_body(BATCH_SCHEMA), **BEARER},
)
async def post_batch(request: Request) -> Response:
    """200 with `status` success or partial_success, a `summary`, the `failed_events` of the
    OpenLineage spec, and per item `accepted` (index, seq, duplicate) and `rejected` (index,
    violations). Valid events are stored even when others are not; 400 when none is valid."""
    principal = await authorized(request, WRITE_EVENTS, "log.write")
    value = await read_json(request, request.app.state.limits)
    if not isinstance(value, list):
        raise ApiError(
            400, "not_a_batch", f"a batch must be a JSON array of events, got {json_type(value)}"
        )
    positions = [i for i, item in enumerate(value) if isinstance(item, dict)]
    result = IngestResult()
    if positions:
        result = await _ingest(request, [value[i] for i in positions], principal)
    accepted = [replace(a, index=positions[a.index]) for a in result.accepted]
    rejected = [replace(r, index=positions[r.index]) for r in result.rejected]
    rejected += [
        Rejected(i, [Violation("$", f"an event must be a JSON object, got {json_type(item)}")])
        for i, item in enumerate(value)
        if not isinstance(item, dict)
    ]
    body = batch_body(len(value), accepted, sorted(rejected, key=lambda r: r.index))
    if rejected and not accepted:
        message = f"all {len(rejected)} events are invalid; nothing was stored"
        return json_response({"error": "invalid_events", "message": message, **body}, 400)
    return json_response(body)


async def _ingest(request: Request, events: list[dict[str, Any]], who: Principal) -> IngestResult:
    future = request.app.state.writer.submit(events, who.name)
    return await asyncio.wrap_future(future)


def batch_body(received: int, accepted: list[Accepted], rejected: list[Rejected]) -> dict[str, Any]:
    """The spec's batch response (status, summary, failed_events) plus per-item results."""
    status = "partial_success" if accepted else "failure"
    if not rejected:
        status = "success"
    return {
        "status": status,
        "summary": {
            "received": received,
            "successful": len(accepted),
            "failed": len(rejected),
            "retriable": 0,
            "non_retriable": len(rejected),
            "stored": sum(1 for a in accepted if not a.duplicate),
            "duplicates": sum(1 for a in accepted if a.duplicate),
        },
        "failed_events": [
            {"index": r.index, "reason": _reason(r), "retriable": False} for r in rejected
        ],
        "accepted": [{"index": a.index, **_accepted(a)} for a in accepted],
        "rejected": [
            {"index": r.index, "violations": [_violation(v) for v in r.violations]}
            for r in rejected
        ],
    }


def _accepted(item: Accepted) -> dict[str, Any]:
    return {"seq": item.seq, "key": item.key, "duplicate": item.duplicate}


def _violation(violation: Violation) -> dict[str, str]:
    return {"path": violation.path, "message": violation.message}


def _reason(rejected: Rejected) -> str:
    shown = "; ".join(f"{v.path}: {v.message}" for v in rejected.violations[:3])
    more = len(rejected.violations) - 3
    return shown + (f" (and {more} more)" if more > 0 else "")


def _count(violations: list[Violation]) -> str:
    return f"{len(violations)} violation{'s' if len(violations) != 1 else ''}"


def json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
