"""Canonical JSON (RFC 8785), so hashes do not depend on key order or number formatting."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_text(obj: Any) -> str:
    return rfc8785.dumps(obj).decode("utf-8")


def content_key(payload: str) -> str:
    """The idempotency key of an event: SHA-256 of its canonical bytes."""
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
