"""Who may do what: the one place every front end (CLI, HTTP API, app) asks.

Roles map to permissions in a declarative table. `ml_engineer` is scoped to the projects named
on the account: glob patterns over `namespace/name` of datasets and models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from lineage.errors import AuditError

READ_LINEAGE = "read_lineage"  # trace, impact, history
READ_EVENTS = "read_events"  # the raw log
READ_PERSONAL = "read_personal"  # see pseudonyms (personal data, even pseudonymized)
REVEAL = "reveal"  # turn a pseudonym back into an identity
MANAGE_ACCOUNTS = "manage_accounts"
ERASE = "erase"  # crypto-shred a person's identity
WRITE_EVENTS = "write_events"  # ingest OpenLineage events
LAUNCH_JOBS = "launch_jobs"
VERIFY = "verify"  # integrity checks, proofs, checkpoints
MAINTAIN = "maintain"  # rebuild projections, sign tree heads
DEPLOY_MODELS = "deploy_models"  # put a model version into an environment (governance policy)
READ_FINDINGS = "read_findings"  # review findings and compliance reports
TRIAGE_FINDINGS = "triage_findings"  # acknowledge / resolve findings
RUN_REVIEWS = "run_reviews"  # run the periodic review jobs on demand
LEGAL_HOLD = "legal_hold"  # place / release legal holds on log entries
APPROVE_DATA_USE = "approve_data_use"  # approve training on datasets holding personal data

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {MANAGE_ACCOUNTS, ERASE, MAINTAIN, READ_LINEAGE, READ_EVENTS, READ_PERSONAL, VERIFY}
        | {LAUNCH_JOBS, DEPLOY_MODELS, READ_FINDINGS, TRIAGE_FINDINGS, RUN_REVIEWS, LEGAL_HOLD}
        | {APPROVE_DATA_USE}
    ),
    "auditor": frozenset(
        {READ_LINEAGE, READ_EVENTS, READ_PERSONAL, REVEAL, VERIFY}
        | {READ_FINDINGS, TRIAGE_FINDINGS, RUN_REVIEWS, LEGAL_HOLD, APPROVE_DATA_USE}
    ),
    "ml_engineer": frozenset(
        {READ_LINEAGE, READ_PERSONAL, WRITE_EVENTS, LAUNCH_JOBS, VERIFY, DEPLOY_MODELS}
    ),
    "viewer": frozenset({READ_LINEAGE, VERIFY}),
    "producer": frozenset({WRITE_EVENTS}),
}
ROLES = tuple(ROLE_PERMISSIONS)
# Roles whose reads are limited to the projects on their account.
PROJECT_SCOPED = frozenset({"ml_engineer"})


class PermissionDenied(AuditError):
    """The principal's roles do not allow the action (on that resource)."""


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. `name` is the login name, kept in memory only."""

    name: str
    roles: tuple[str, ...]
    kind: str = "user"  # user | service | local
    projects: tuple[str, ...] = field(default=())

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset().union(*(ROLE_PERMISSIONS.get(r, frozenset()) for r in self.roles))


def is_allowed(principal: Principal, action: str, resource: str | None = None) -> bool:
    """True when some role of the principal grants `action` on `resource` (namespace/name)."""
    for role in principal.roles:
        if action not in ROLE_PERMISSIONS.get(role, frozenset()):
            continue
        if role not in PROJECT_SCOPED or resource is None:
            return True
        if any(fnmatchcase(resource, pattern) for pattern in principal.projects):
            return True
    return False


def authorize(principal: Principal, action: str, resource: str | None = None) -> None:
    """Raise PermissionDenied, naming the action, resource and roles, unless allowed."""
    if is_allowed(principal, action, resource):
        return
    on = f" on {resource!r}" if resource else ""
    roles = ", ".join(principal.roles) or "no role"
    granting = [role for role, allowed in ROLE_PERMISSIONS.items() if action in allowed]
    who_may = f"; roles that may: {', '.join(granting)}" if granting else ""
    raise PermissionDenied(f"{principal.kind} with role(s) {roles} may not {action}{on}{who_may}")
