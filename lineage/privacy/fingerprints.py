"""One key id, one key: refuse a second key material under an id the store already uses.

A process started with another MLAUDIT_HOME or keys folder would otherwise create fresh keys
named `k1` and silently give the same person a second pseudonym (or seal identities nobody can
reveal). The fingerprint is an HMAC of a constant: it identifies the key and reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Connection, insert, select

from lineage.keys import KeyMaterialError, SymmetricKey
from lineage.models.privacy import KeyFingerprint

KEYS = KeyFingerprint.__table__


def fingerprint(purpose: str, key: SymmetricKey) -> str:
    message = f"mlaudit/key-fingerprint/v1|{purpose}".encode()
    return hmac.new(key.material, message, hashlib.sha256).hexdigest()[:32]


def check_key(conn: Connection, purpose: str, key: SymmetricKey, now: str) -> None:
    """Record the key's fingerprint on first use; raise when the id is known with other material."""
    expected = fingerprint(purpose, key)
    stored = conn.execute(
        select(KEYS.c.fingerprint).where(KEYS.c.purpose == purpose, KEYS.c.key_id == key.key_id)
    ).scalar()
    if stored is None:
        conn.execute(
            insert(KEYS).values(
                purpose=purpose, key_id=key.key_id, fingerprint=expected, first_used=now
            )
        )
    elif stored != expected:
        raise KeyMaterialError(
            f"the {purpose} key {key.key_id!r} is not the key this store was written with: "
            f"point MLAUDIT_KEYS_DIR (or MLAUDIT_{purpose.upper()}_KEY) at this store's keys"
        )
