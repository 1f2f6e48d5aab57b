"""The governance policy review: declarative rules over the projections, configured per project.

`review_policies(ctx)` runs every enabled rule over `ctx.window` and returns their findings
(kind "policy"). Each rule reads its own `[policies.<short name>]` table of review.toml; an
unknown table or key, or a value of the wrong type, is a ReviewConfigError naming it, raised
before any rule runs. docs/POLICIES.md describes the rules and their parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lineage.findings.draft import FindingDraft
from lineage.review.config import ReviewConfigError
from lineage.review.context import ReviewContext
from lineage.review.policies.actors import RUN_WITHOUT_ACTOR
from lineage.review.policies.deployers import UNAUTHORIZED_DEPLOYER
from lineage.review.policies.evaluated import DEPLOYED_WITHOUT_EVALUATION
from lineage.review.policies.metric_rules import METRIC_BELOW_THRESHOLD, METRIC_REGRESSION
from lineage.review.policies.personal_data import PERSONAL_DATA_WITHOUT_APPROVAL
from lineage.review.policies.rule import Hit, Policy
from lineage.review.policies.training_data import TRAINING_DATA_CHANGED

POLICIES: tuple[Policy, ...] = (
    DEPLOYED_WITHOUT_EVALUATION,
    METRIC_BELOW_THRESHOLD,
    METRIC_REGRESSION,
    TRAINING_DATA_CHANGED,
    PERSONAL_DATA_WITHOUT_APPROVAL,
    UNAUTHORIZED_DEPLOYER,
    RUN_WITHOUT_ACTOR,
)


def policy_settings(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Rule name -> its effective parameters, from the `policies` table of the configuration."""
    section = config.get("policies", {})
    if not isinstance(section, Mapping):
        raise ReviewConfigError(f"policies: expected a table, got {section!r}")
    known = {table for policy in POLICIES for table in policy.tables}
    unknown = sorted(set(section) - known)
    if unknown:
        shorts = ", ".join(policy.short for policy in POLICIES)
        raise ReviewConfigError(f"policies.{unknown[0]}: unknown policy (known: {shorts})")
    return {policy.name: policy.settings(section) for policy in POLICIES}


def review_policies(ctx: ReviewContext) -> list[FindingDraft]:
    """Findings of every enabled policy over the review window."""
    settings = policy_settings(ctx.config)
    return [draft for policy in POLICIES for draft in policy.review(ctx, settings[policy.name])]


__all__ = ["POLICIES", "Hit", "Policy", "policy_settings", "review_policies"]
