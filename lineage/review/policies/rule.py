"""A governance policy as data: name, default severity, wording, parameters and one query.

The query finds violations (`Hit`s) with the rule's effective parameters; the policy turns each
hit into a finding, filling its title and explanation templates from the hit's facts and the
parameters, so wording and thresholds stay together and visible in one declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from lineage.findings.draft import FindingDraft
from lineage.review.config import ReviewConfigError
from lineage.review.context import ReviewContext
from lineage.review.policies.params import Param, boolean, names, severity


@dataclass(frozen=True)
class Hit:
    """One violation: `facts` fill the templates, `evidence` is kept as machine-readable detail."""

    subject: str
    facts: dict[str, Any]
    evidence: dict[str, Any]
    occurred_at: str | None
    dedupe: str = ""


Query = Callable[[ReviewContext, Mapping[str, Any]], list[Hit]]


@dataclass(frozen=True)
class Policy:
    name: str
    severity: str
    title: str
    explanation: str
    query: Query
    params: Mapping[str, Param] = field(default_factory=dict)
    # Config tables accepted besides the rule's short name (the first is the documented one).
    aliases: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        return self.name.removeprefix("policy.")

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.short, *self.aliases)

    def all_params(self) -> dict[str, Param]:
        return {
            "enabled": Param(True, boolean, "false turns the rule off"),
            "severity": Param(self.severity, severity, "severity of its findings"),
            **self.params,
        }

    def settings(self, policies: Mapping[str, Any]) -> dict[str, Any]:
        """The effective parameters: defaults overridden by this rule's table, checked."""
        given = [table for table in self.tables if table in policies]
        if len(given) > 1:
            raise ReviewConfigError(f"policies.{given[0]} and policies.{given[1]}: pick one")
        table = given[0] if given else self.short
        section = policies.get(table, {})
        if not isinstance(section, Mapping):
            raise ReviewConfigError(f"policies.{table}: expected a table, got {section!r}")
        known = self.all_params()
        unknown = sorted(set(section) - set(known))
        if unknown:
            raise ReviewConfigError(
                f"policies.{table}.{unknown[0]}: unknown key (known: {', '.join(known)})"
            )
        return {
            key: param.check(f"policies.{table}.{key}", section[key])
            if key in section
            else param.default
            for key, param in known.items()
        }

    def review(self, ctx: ReviewContext, settings: Mapping[str, Any]) -> list[FindingDraft]:
        if not settings["enabled"]:
            return []
        return [self._draft(hit, settings) for hit in self.query(ctx, settings)]

    def _draft(self, hit: Hit, settings: Mapping[str, Any]) -> FindingDraft:
        words = {**settings, **hit.facts}
        return FindingDraft(
            kind="policy",
            rule=self.name,
            severity=settings["severity"],
            subject=hit.subject,
            title=self.title.format(**words),
            explanation=self.explanation.format(**words),
            evidence=hit.evidence,
            occurred_at=hit.occurred_at,
            dedupe=hit.dedupe,
        )


MODELS = Param(("*",), names, '"namespace/name" globs of the models the rule applies to')
ENVIRONMENTS = Param(("*",), names, "globs of the deployment environments the rule applies to")


def matches(value: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatchcase(value, glob) for glob in globs)
