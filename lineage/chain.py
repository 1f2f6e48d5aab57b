"""The hash chain: how an entry's bytes and hash are formed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64
# One encoder for every header: json.dumps with options would build a new one per call.
_HEADER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_header(
    *, seq: int, key: str, received_at: str, submitter: str | None, normalizations: str
) -> dict[str, Any]:
    return {
        "seq": seq,
        "key": key,
        "receivedAt": received_at,
        "submitter": submitter,
        "normalizations": normalizations,
    }


def entry_bytes(header: dict[str, Any], payload: str) -> bytes:
    """The bytes an entry's hash (and later its Merkle leaf) covers.

    The payload is already canonical (RFC 8785) text, so it is hashed as stored, never re-encoded.
    """
    return (_HEADER.encode(header) + "\n" + payload).encode()


def chain_hash(prev_hash: str, data: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + data).hexdigest()
