"""Integrity over HTTP: `mlaudit verify`, the tree heads, and `mlaudit prove`'s proofs.

The same functions as the CLI (lineage.verify.verify_log, lineage.merkle.export), the same JSON.
Proof documents are self-contained (entry bytes, signed heads), so an auditor can check them
offline with `mlaudit check-proof` against heads obtained elsewhere.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Connection
from starlette.responses import Response

from lineage.api.audit import audited
from lineage.api.auth import Caller, get_store
from lineage.api.errors import json_response
from lineage.api.openapi import READ_ERRORS
from lineage.api.settings import MAX_JSON_INT
from lineage.authz import VERIFY
from lineage.keys import public_key_id
from lineage.merkle.export import export_consistency, export_inclusion
from lineage.merkle.heads import public_key_from_hex, stored_heads
from lineage.merkle.tree import root_at, stored_size
from lineage.store import AuditStore
from lineage.verify import report_json, verify_log

router = APIRouter(prefix="/api/v1", tags=["integrity"], responses=READ_ERRORS)
Store = Annotated[AuditStore, Depends(get_store)]
# A full verification reads the whole log: one at a time, so a burst of them cannot starve ingest.
_VERIFYING = threading.Lock()


@router.get("/verify", summary="Verify the hash chain, the Merkle tree and the signed heads")
def get_verify(
    store: Store,
    principal: Caller,
    public_key: Annotated[
        list[str] | None,
        Query(description="Check signed heads under this Ed25519 public key (hex); repeatable."),
    ] = None,
) -> Response:
    """200 with `ok` true or false and every problem found (as `mlaudit verify --json`)."""
    trusted = None
    if public_key:
        keys = [public_key_from_hex(k) for k in public_key]
        trusted = {public_key_id(k): k for k in keys}
    audited(store, principal, "log.verify", VERIFY)
    with _VERIFYING:
        report = verify_log(store.engine, trusted=trusted, keys=store.keys)
    return json_response(report_json(report))


@router.get("/tree/heads", summary="The Merkle tree's size and root, and the signed tree heads")
def get_heads(
    store: Store,
    principal: Caller,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Newest heads to list.")] = 100,
) -> Response:
    audited(store, principal, "log.read.heads", VERIFY, details={"limit": limit})
    with store.engine.connect() as conn, conn.begin():
        tree = _tree(conn)
        heads = stored_heads(conn)
    newest = [head.to_json() for head in reversed(heads[-limit:])]
    return json_response(
        {
            "tree": tree,
            "latest": newest[0] if newest else None,
            "count": len(heads),
            "heads": newest,
        }
    )


@router.get("/tree/proofs/inclusion", summary="Prove an entry is in the tree")
def get_inclusion(
    store: Store,
    principal: Caller,
    seq: Annotated[int, Query(ge=1, le=MAX_JSON_INT, description="The entry's sequence number.")],
    size: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_JSON_INT,
            description="Tree size to prove against (default: latest signed head).",
        ),
    ] = None,
) -> Response:
    details = {"seq": seq, "size": size}
    audited(store, principal, "log.prove.inclusion", VERIFY, details=details)
    return json_response(export_inclusion(store.engine, seq, size))


@router.get("/tree/proofs/consistency", summary="Prove a newer tree extends an older one")
def get_consistency(
    store: Store,
    principal: Caller,
    old: Annotated[int, Query(ge=1, le=MAX_JSON_INT, description="The older tree size.")],
    new: Annotated[int, Query(ge=1, le=MAX_JSON_INT, description="The newer tree size.")],
) -> Response:
    audited(store, principal, "log.prove.consistency", VERIFY, details={"old": old, "new": new})
    return json_response(export_consistency(store.engine, old, new))


def _tree(conn: Connection) -> dict[str, Any]:
    size, whole = stored_size(conn)
    root = root_at(conn, size).hex() if size and whole else None
    return {"size": size, "root": root, "complete": whole}
