"""Signed reports: Ed25519 over the RFC 8785 canonical bytes of the body, with the store's key.

The envelope is `{format, sha256, key_id, public_key, signature, tree_head, body}`: `sha256` is
of the canonical body bytes, `signature` is over those bytes, and `tree_head` repeats the signed
head the body was built against (`body.built_against`), so a reader can hold it against the log.
The key is the one that signs tree heads (lineage.keys): pin its public key from a source you
trust, not from the report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature

from lineage.canonical import canonical_text
from lineage.errors import IntegrityError
from lineage.keys import public_key_id
from lineage.merkle.heads import (
    HeadFormatError,
    SignedHead,
    public_key_from_hex,
    public_key_hex,
    stored_heads,
)
from lineage.merkle.tree import root_at

if TYPE_CHECKING:
    from lineage.store import AuditStore

ENVELOPE = "mlaudit signed compliance report v1"


@dataclass(frozen=True)
class ReportCheck:
    ok: bool
    failures: list[str] = field(default_factory=list)
    sha256: str | None = None
    key_id: str | None = None
    under: str = ""  # which key the signature was checked under
    head_in_log: bool | None = None  # None: not checked against a store


def body_bytes(body: dict[str, Any]) -> bytes:
    return canonical_text(body).encode("utf-8")


def sign_report(store: AuditStore, body: dict[str, Any]) -> dict[str, Any]:
    """The signed envelope of `body` under the store's signing key."""
    key_id, private = store.keys.signing_key()
    data = body_bytes(body)
    return {
        "format": ENVELOPE,
        "sha256": hashlib.sha256(data).hexdigest(),
        "key_id": key_id,
        "public_key": public_key_hex(private.public_key()),
        "signature": private.sign(data).hex(),
        "tree_head": _copy(body.get("built_against")),
        "body": body,
    }


def _copy(head: dict[str, Any] | None) -> dict[str, Any] | None:
    """Its own dict, as after a JSON round trip: a change to one copy must not reach the other."""
    return dict(head) if head is not None else None


def verify_report(
    doc: dict[str, Any], public_key: str | None = None, store: AuditStore | None = None
) -> ReportCheck:
    """Check the envelope: digest, signature (under `public_key` when pinned, hex), the tree head
    it names; with `store`, also that this head is in that log and its root is the tree's."""
    if doc.get("format") != ENVELOPE or not isinstance(doc.get("body"), dict):
        return ReportCheck(
            False, [f"not a signed compliance report (format {doc.get('format')!r})"]
        )
    data = body_bytes(doc["body"])
    failures = []
    if hashlib.sha256(data).hexdigest() != doc.get("sha256"):
        failures.append(
            "the body was changed after signing: its sha256 differs from the signed one"
        )
    key_text = public_key or doc.get("public_key") or ""
    failures += _signature_failures(doc, data, key_text, pinned=public_key is not None)
    if doc.get("tree_head") != doc["body"].get("built_against"):
        failures.append("the envelope's tree head is not the one the body was built against")
    head_in_log = None
    if store is not None:
        problem = head_problem(store, doc.get("tree_head"))
        head_in_log = problem is None
        failures += [problem] if problem else []
    under = (
        f"signature checked under the pinned key {public_key[:16]}"
        if public_key
        else "signature checked under the key the report carries: pin the log's key yourself"
    )
    return ReportCheck(
        not failures, failures, doc.get("sha256"), doc.get("key_id"), under, head_in_log
    )


def _signature_failures(doc: dict[str, Any], data: bytes, key_text: str, pinned: bool) -> list[str]:
    try:
        key = public_key_from_hex(key_text)
    except HeadFormatError as exc:
        return [f"no usable public key: {exc}"]
    failures = []
    if pinned and doc.get("public_key") != key_text:
        failures.append(
            f"signed with key {doc.get('key_id')!r}, not the pinned key {public_key_id(key)}"
        )
    if doc.get("key_id") != public_key_id(key):
        failures.append(f"key id {doc.get('key_id')!r} does not name the public key")
    try:
        key.verify(bytes.fromhex(str(doc.get("signature"))), data)
    except (InvalidSignature, ValueError):
        failures.append("the signature does not verify over the body")
    return failures


def head_problem(store: AuditStore, head: dict[str, Any] | None) -> str | None:
    """Why `head` is not a head of this store's log (None when it is)."""
    if head is None:
        return "the report names no signed tree head: nothing ties it to the log"
    try:
        claimed = SignedHead.from_json(head)
    except HeadFormatError as exc:
        return f"the report's tree head is malformed: {exc}"
    with store.engine.connect() as conn:
        stored = {(h.tree_size, h.root_hash, h.signature) for h in stored_heads(conn)}
        if (claimed.tree_size, claimed.root_hash, claimed.signature) not in stored:
            return f"{claimed.label()} is not a signed head of this log"
        try:
            root = root_at(conn, claimed.tree_size).hex()
        except IntegrityError as exc:
            return f"{claimed.label()}: the log's tree cannot be read at its size: {exc}"
    if root != claimed.root_hash:
        return f"{claimed.label()}: its root is not the log's root at size {claimed.tree_size}"
    return None
