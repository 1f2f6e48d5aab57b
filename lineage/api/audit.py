"""Reads of the log are audit events, as in the CLI (`lineage.cli.session.audited`).

The API knows its principal from the token, so it cannot reuse the CLI's helper, which reads
the environment; it records the same actions with the same targets and outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lineage.accounts.actions import record_user_action
from lineage.authz import PermissionDenied, Principal, authorize
from lineage.store import AuditStore

LOG_TARGET = {"kind": "log", "name": "audit log"}


def audited(
    store: AuditStore,
    principal: Principal,
    action: str,
    permission: str | Sequence[str],
    target: dict[str, str] | None = None,
    *,
    resource: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Authorize the read (every permission named) and record it; a refusal is recorded too,
    then raised (403)."""
    target = target or LOG_TARGET
    clean = {k: v for k, v in (details or {}).items() if v is not None}
    needed = [permission] if isinstance(permission, str) else list(permission)
    try:
        for each in needed:
            authorize(principal, each, resource)
    except PermissionDenied:
        record_user_action(store, principal, action, target, outcome="denied", details=clean)
        raise
    record_user_action(store, principal, action, target, details=clean)
