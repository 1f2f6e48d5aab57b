"""policy.unauthorized_deployer: whoever deploys a model must hold DEPLOY_MODELS on it.

A run's actor is stored as the pseudonym of the person (`actors.name`), and an account's
`subject` is the pseudonym of its login name under the same key, so the two meet without
anyone's name. A store without active accounts has no roles to judge by: the rule is quiet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from lineage.authz import DEPLOY_MODELS, Principal, is_allowed
from lineage.review.context import ReviewContext
from lineage.review.policies.actors import UNKNOWN
from lineage.review.policies.deployments import deployment_evidence, deployments, subject
from lineage.review.policies.evaluated import ACTIONS
from lineage.review.policies.rows import as_json, fetch
from lineage.review.policies.rule import ENVIRONMENTS, MODELS, Hit, Policy

ACCOUNTS = text("SELECT subject, roles, projects, status FROM accounts")


def unauthorized_deployments(ctx: ReviewContext, settings: Mapping[str, Any]) -> list[Hit]:
    accounts = {row["subject"]: row for row in fetch(ctx, ACCOUNTS)}
    if not any(row["status"] == "active" for row in accounts.values()):
        return []
    hits = []
    for row in deployments(ctx, settings):
        account = accounts.get(row["actor"] or "")
        problem = _problem(account, row["model"])
        if problem is None:
            continue
        evidence = {**deployment_evidence(row), "actor": row["actor"], "problem": problem}
        if account is not None:
            evidence["roles"] = list(as_json(account["roles"]) or [])
        facts = {**row, "who": _who(row), "problem": problem}
        hits.append(Hit(subject(row), facts, evidence, row["started_at"]))
    return hits


def _who(row: Mapping[str, Any]) -> str:
    if row["actor"] is None or row["actor_kind"] == UNKNOWN or row["actor"] == UNKNOWN:
        return "an unidentified actor"
    return f"{row['actor_kind'] or 'actor'} {row['actor']}"


def _problem(account: Mapping[str, Any] | None, model: str) -> str | None:
    if account is None:
        return "matches no account"
    if account["status"] != "active":
        return f"matches an account that is {account['status']}"
    roles = tuple(as_json(account["roles"]) or [])
    projects = tuple(as_json(account["projects"]) or [])
    principal = Principal(name=account["subject"], roles=roles, projects=projects)
    if is_allowed(principal, DEPLOY_MODELS, model):
        return None
    held = ", ".join(roles) or "no role"
    return f"matches an account whose roles ({held}) do not grant {DEPLOY_MODELS} on {model}"


UNAUTHORIZED_DEPLOYER = Policy(
    name="policy.unauthorized_deployer",
    severity="high",
    title="{model}@{version} was deployed to {environment} by {who}, who may not deploy it",
    explanation=(
        "Rule policy.unauthorized_deployer: a deployment's actor must map to an active account "
        "whose roles grant deploy_models on the model. The {action} of {model} version "
        "{version} to {environment} (run {run_id}, started {started_at}) was done by {who}, "
        "which {problem}."
    ),
    query=unauthorized_deployments,
    params={"models": MODELS, "environments": ENVIRONMENTS, "actions": ACTIONS},
)
