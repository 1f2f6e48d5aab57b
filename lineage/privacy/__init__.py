"""Personal data is pseudonymized before it is hashed or stored; identities live only encrypted.

- `pseudonyms`: HMAC-SHA-256 pseudonyms `psn:<key id>:<32 hex>` of normalised identities.
- `rules`: which fields are personal (a declarative table, extendable by MLAUDIT_PRIVACY_RULES).
- `apply`: pseudonymize an event, returning the identities seen (kept in memory only).
- `vault`: sealed identities: record (inside the append's transaction), reveal, erase.
"""

from typing import Any

from lineage.privacy.apply import Pseudonymizer
from lineage.privacy.pseudonyms import is_pseudonym, normalize_identity, pseudonym_for
from lineage.privacy.rules import PrivacyConfigError, RuleSet, load_rules

# The vault needs the database models; preparing an event (lineage.prepare_worker's child
# among others) needs only the rules and the key, so the vault is imported when first named.
_VAULT = {"Erasure", "IdentityErased", "NotAPseudonym", "erase_identity", "reveal_identity"}


def __getattr__(name: str) -> Any:
    if name in _VAULT:
        from lineage.privacy import vault

        return getattr(vault, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Erasure",
    "IdentityErased",
    "NotAPseudonym",
    "PrivacyConfigError",
    "Pseudonymizer",
    "RuleSet",
    "erase_identity",
    "is_pseudonym",
    "load_rules",
    "normalize_identity",
    "pseudonym_for",
    "reveal_identity",
]
