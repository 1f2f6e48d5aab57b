"""User actions as audit events: account changes, token changes, logins, reads of the log.

They take the one ingest path like every other event, so they are pseudonymized, chained and
provable like the rest: auditors are audited.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from lineage.authz import Principal
from lineage.facet_keys import PRODUCER, schema_url
from lineage.timeutil import now_store_time

if TYPE_CHECKING:
    from lineage.store import AuditStore

JOB_NAMESPACE = "mlaudit"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def user_action_event(
    principal: Principal,
    action: str,
    target: dict[str, str],
    *,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An OpenLineage RunEvent recording one action by `principal`."""
    actor_kind = principal.kind if principal.kind in ("user", "service") else "service"
    return {
        "eventType": "COMPLETE",
        "eventTime": now_store_time(),
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": {
            "runId": str(uuid.uuid4()),
            "facets": {
                "mlaudit_actor": _facet("ActorRunFacet", name=principal.name, kind=actor_kind),
                "mlaudit_user_action": _facet(
                    "UserActionRunFacet",
                    action=action,
                    target=target,
                    outcome=outcome,
                    details=details or {},
                ),
            },
        },
        "job": {"namespace": JOB_NAMESPACE, "name": action},
        "inputs": [],
        "outputs": [],
    }


def record_user_action(
    store: AuditStore,
    principal: Principal,
    action: str,
    target: dict[str, str],
    *,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> int:
    """Append the action to the log; returns its sequence number."""
    event = user_action_event(principal, action, target, outcome=outcome, details=details)
    return store.ingest([event], submitter=None).accepted[0].seq


def _facet(facet_name: str, /, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": schema_url(facet_name), **fields}
