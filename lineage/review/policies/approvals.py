"""Approvals to train on a dataset holding personal data: `dataset.approve` user actions.

An approval is an audit event like any other (recorded through record_user_action, so it is
chained, provable and pseudonymized); it is read back from the log's run projection, never from
a side table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text

from lineage.accounts.actions import JOB_NAMESPACE, record_user_action
from lineage.authz import Principal
from lineage.timeutil import parse_time, to_store_time

if TYPE_CHECKING:
    from lineage.store import AuditStore

APPROVE = "dataset.approve"
END = "9999-12-31T23:59:59.999999Z"

# User actions are projected like any run: job (mlaudit, <action>), one run per action, its facets
# and actor. Going through the jobs index keeps this a small read however long the log grows.
APPROVALS = text(
    """
    SELECT r.first_seq AS seq, r.last_event_time AS event_time, a.name AS actor, r.facets
    FROM jobs j
    JOIN runs r ON r.job_id = j.id
    LEFT JOIN actors a ON a.id = r.actor_id
    WHERE j.namespace = :namespace AND j.name = :action AND r.last_event_time <= :until
    ORDER BY r.last_event_time, r.first_seq
    """
)


@dataclass(frozen=True)
class Approval:
    dataset: str  # "namespace/name"
    purpose: str
    approved_at: str
    expires: str | None
    approver: str | None  # pseudonym, as the log stores people
    seq: int

    def covers(self, dataset: str, when: str) -> bool:
        """True when this approval was given before `when` and had not expired by then."""
        current = self.expires is None or when <= self.expires
        return self.dataset == dataset and self.approved_at < when and current

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def expiry(value: str) -> str:
    """Store time of an expiry: a bare date lasts to the end of that day (UTC)."""
    text_value = value.strip()
    if len(text_value) == 10:
        parse_time(text_value)  # a bad date is an error naming it
        return f"{text_value}T23:59:59.999999Z"
    return to_store_time(text_value)


def approve(
    store: AuditStore, principal: Principal, dataset: str, purpose: str, expires: str | None
) -> int:
    """Record the approval (the caller has authorized it); returns its log seq."""
    if not purpose.strip():
        raise ValueError("an approval needs a purpose")
    details = {"purpose": purpose.strip(), "expires": expiry(expires) if expires else None}
    return record_user_action(store, principal, APPROVE, target(dataset), details=details)


def target(dataset: str) -> dict[str, str]:
    """The action's target: `kind`/`name` as every user action has, `dataset` as rules read."""
    return {"kind": "dataset", "name": dataset, "dataset": dataset}


def approvals(engine: Engine, *, until: str = END) -> list[Approval]:
    """Successful approvals recorded by `until`, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            APPROVALS, {"namespace": JOB_NAMESPACE, "action": APPROVE, "until": until}
        )
        return list(_parsed(rows))


def _parsed(rows: Iterable[Any]) -> Iterable[Approval]:
    for row in rows:
        facets = json.loads(row.facets) if isinstance(row.facets, str) else row.facets
        facet = facets.get("mlaudit_user_action") or {}
        if facet.get("outcome") != "success":
            continue  # a refused approval is in the log too, and approves nothing
        details = facet.get("details") or {}
        yield Approval(
            dataset=str((facet.get("target") or {}).get("dataset", "")),
            purpose=str(details.get("purpose", "")),
            approved_at=row.event_time,
            expires=details.get("expires"),
            approver=row.actor,
            seq=row.seq,
        )
