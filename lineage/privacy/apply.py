"""Pseudonymize one event: the rules' fields and email addresses in facets become pseudonyms.

Returns a new event (the input is never mutated; untouched parts are shared) and the identities
seen, pseudonym -> identity as first written, which travel in memory to the vault only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lineage.keys import SymmetricKey
from lineage.privacy.paths import Step, parse_path, rewrite
from lineage.privacy.pseudonyms import is_pseudonym, pseudonym_for
from lineage.privacy.rules import FieldRule, RuleSet

Identities = dict[str, str]

# Pragmatic, not RFC 5322: a local part, `@`, dot-separated domain labels, an alphabetic TLD.
# `\w` admits internationalised local parts and labels; a false positive only pseudonymizes a
# string that looked like an address, the safe direction.
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}(?![\w-])")
CACHE_SIZE = 65_536
# Where facets live in the event kinds of the spec (run, job and dataset events).
FACET_SCOPES = tuple(
    parse_path(p)
    for p in (
        "$.run.facets",
        "$.job.facets",
        "$.inputs[*].facets",
        "$.inputs[*].inputFacets",
        "$.outputs[*].facets",
        "$.outputs[*].outputFacets",
        "$.dataset.facets",
    )
)


@dataclass(frozen=True)
class Pseudonymizer:
    """The pseudonym key with the rules saying which fields are personal."""

    key: SymmetricKey
    rules: RuleSet
    # value -> pseudonym: the same few people act in most events; saves the HMAC and NFKC.
    _cache: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def event(self, event: dict[str, Any]) -> tuple[dict[str, Any], Identities]:
        seen: Identities = {}
        return self.emails(self.fields(event, seen), seen), seen

    def fields(self, event: dict[str, Any], seen: Identities) -> dict[str, Any]:
        """`event` with the rules' fields pseudonymized (identities recorded in `seen`)."""
        for rule in self.rules.fields:
            if _reaches(event, rule.steps):
                event = rewrite(event, rule.steps, partial(self._field, rule, seen))
        return event

    def emails(self, event: dict[str, Any], seen: Identities) -> dict[str, Any]:
        """`event` with email addresses in facet strings pseudonymized, if the rules scan."""
        if self.rules.scan_emails and _may_hold_email(event):
            for scope in FACET_SCOPES:
                event = rewrite(event, scope, lambda c, k: self._scan(c[k], seen))
        return event

    def identity(self, value: str, seen: Identities) -> str:
        """The pseudonym of one identity (recorded in `seen`); pseudonyms and blanks unchanged."""
        pseudonym = self._cache.get(value)
        if pseudonym is None:
            if is_pseudonym(value) or not value.strip():
                return value
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            pseudonym = self._cache[value] = pseudonym_for(value, self.key)
        seen.setdefault(pseudonym, value.strip())
        return pseudonym

    def _field(self, rule: FieldRule, seen: Identities, container: Any, member: Any) -> Any:
        value = container[member]
        if not isinstance(value, str) or not rule.applies(container):
            return value  # keep types: the event must still validate
        return self.identity(value, seen)

    def _scan(self, node: Any, seen: Identities) -> Any:
        """`node` with every email address in its strings replaced; `_` keys are metadata."""
        if isinstance(node, str):
            if "@" not in node:  # the common case, without running the regex
                return node
            return EMAIL.sub(lambda m: self.identity(m.group(0), seen), node)
        if isinstance(node, dict):
            changed = {
                k: new
                for k, v in node.items()
                if not str(k).startswith("_") and (new := self._scan(v, seen)) is not v
            }
            return {**node, **changed} if changed else node
        if isinstance(node, list):
            items = [self._scan(v, seen) for v in node]
            return node if all(a is b for a, b in zip(items, node, strict=True)) else items
        return node


def _reaches(event: dict[str, Any], steps: tuple[Step, ...]) -> bool:
    """Whether the named members leading to a rule's first wildcard exist: most rules name
    facets an event does not carry, and this answers that without building the rewrite."""
    node: Any = event
    for step in steps:
        if step.name is None:
            return True
        if not isinstance(node, dict) or step.name not in node:
            return False
        node = node[step.name]
    return True


def _may_hold_email(event: dict[str, Any]) -> bool:
    """Whether any string in the event has an `@`: a flat walk, far cheaper than the rewrite."""
    stack: list[Any] = [event]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "@" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
