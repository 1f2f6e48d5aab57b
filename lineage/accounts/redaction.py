"""Results for principals who may not see personal data: pseudonyms are personal data too."""

from __future__ import annotations

from typing import Any

from lineage.authz import READ_PERSONAL, Principal, is_allowed

REDACTED = "[redacted]"
PERSON_KEYS = frozenset({"actor", "submitter"})
PERSON_LISTS = frozenset({"actors"})


def for_principal(result: Any, principal: Principal) -> Any:
    """The result as this principal may see it."""
    return result if is_allowed(principal, READ_PERSONAL) else redact(result)


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact_item(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _redact_item(key: str, value: Any) -> Any:
    if key in PERSON_KEYS and value is not None:
        return REDACTED
    if key in PERSON_LISTS:
        return []
    return redact(value)
