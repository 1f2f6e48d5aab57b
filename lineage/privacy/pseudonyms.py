"""Keyed pseudonyms: HMAC-SHA-256 of a normalised identity under the store's secret key.

Format: `psn:<key id>:<32 hex>`, e.g. `psn:k1:3f9a0c2b7d1e4a569b0d2c8e1f7a3b64`.

- The key id says which key made it, so keys can rotate and old pseudonyms stay explainable.
- 128 bits (32 hex): pseudonyms are identities in the audit trail, so a collision would pin one
  person's actions on another. At 64 bits, ten million people collide with probability ~3e-6 per
  store (birthday bound n^2 / 2^65), which is too much across many stores and years; at 128 bits
  it is ~1e-25. Guessing resistance comes from the key, not the length.
- The `psn:` prefix makes pseudonyms recognisable, so re-ingesting stored events (or events from a
  producer that pseudonymizes with our key) leaves them as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from lineage.keys import KeyMaterialError, SymmetricKey

PREFIX = "psn"
DIGEST_HEX = 32
KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
PSEUDONYM = re.compile(rf"{PREFIX}:({KEY_ID.pattern}):([0-9a-f]{{{DIGEST_HEX}}})")
# Versioned domain separation: the same key never yields these values for another purpose.
_CONTEXT = b"mlaudit/pseudonym/v1\x00"
# OpenLineage recommends URNs for owners (`user:jdoe`); `user:jdoe` and a Dagster user `jdoe` are
# the same person, so the prefix is not part of the identity.
_USER_URN = "user:"
_SPACES = re.compile(r"\s+")


def normalize_identity(value: str) -> str:
    """The identity a pseudonym is computed from: one person, one pseudonym.

    NFKC (full-width and composed forms), trimmed, inner whitespace collapsed, case-folded (user
    names and email addresses are case-insensitive in practice), `user:` URN prefix dropped.
    """
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()
    if text.startswith(_USER_URN) and len(text) > len(_USER_URN):
        text = text[len(_USER_URN) :].strip()
    return text


def pseudonym_for(identity: str, key: SymmetricKey) -> str:
    """The pseudonym of `identity` under `key`; a pseudonym is returned unchanged."""
    if is_pseudonym(identity):
        return identity
    if not KEY_ID.fullmatch(key.key_id):
        raise KeyMaterialError(
            f"pseudonym key id {key.key_id!r}: use 1-32 letters, digits, '.', '_' or '-'"
        )
    digest = hmac.new(
        key.material, _CONTEXT + normalize_identity(identity).encode("utf-8"), hashlib.sha256
    )
    return f"{PREFIX}:{key.key_id}:{digest.hexdigest()[:DIGEST_HEX]}"


def is_pseudonym(value: object) -> bool:
    return isinstance(value, str) and PSEUDONYM.fullmatch(value) is not None


def key_id_of(pseudonym: str) -> str:
    """The id of the key a pseudonym was made with; ValueError when it is not a pseudonym."""
    match = PSEUDONYM.fullmatch(pseudonym)
    if match is None:
        raise ValueError(f"not a pseudonym: expected {PREFIX}:<key id>:<{DIGEST_HEX} hex>")
    return match.group(1)
