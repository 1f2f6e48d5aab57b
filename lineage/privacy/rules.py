"""Which fields of an event hold personal data: a declarative table, extendable by a file.

Built in (DEFAULT_RULES): the actor of a run when it may be a person (service, schedule and
sensor identities name automation, not people, and stay readable), the Dagster tag naming the
user who launched a run, user tags in the standard `tags` facets, the owners in `ownership`
facets of jobs and datasets, Airflow DAG and task owners, and the account an mlaudit user action
targets. On top, every string value anywhere in any facet is scanned for email addresses
(`scan_emails`): producers put contact addresses in free-form facets, and an audit product should
not rely on knowing every facet in advance. Keys starting with `_` (`_producer`, `_schemaURL`)
and dataset/job names and namespaces are identifiers, not scanned.

MLAUDIT_PRIVACY_RULES names a JSON or TOML file that adds rules (TOML shown; JSON has the same
shape, `{"scan_emails": true, "rules": [{...}]}`):

    scan_emails = true                      # optional, default true

    [[rules]]
    name = "hr-reviewer"                    # unique; errors name the rule
    path = '$.run.facets.hr_review.reviewer'
    when = { role = ["person"] }            # optional: a sibling member must be one of these
    unless = { status = ["bot"] }           # optional: skip when a sibling member is one of these
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from lineage.errors import AuditError
from lineage.privacy.paths import PathSyntaxError, Step, parse_path

RULES_VARIABLE = "MLAUDIT_PRIVACY_RULES"
Condition = tuple[tuple[str, frozenset[str]], ...]


class PrivacyConfigError(AuditError):
    """The privacy rules file is unreadable or a rule in it is malformed."""


class RuleError(PrivacyConfigError):
    """One malformed rule; `detail` says what is wrong, the message also names the rule."""

    def __init__(self, name: str, detail: str) -> None:
        self.detail = detail
        super().__init__(f"privacy rule {name!r}: {detail}")


@dataclass(frozen=True)
class FieldRule:
    """A string at `path` is an identity, when the conditions on its container's members hold."""

    name: str
    path: str
    when: Condition = ()
    unless: Condition = ()
    steps: tuple[Step, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "steps", parse_path(self.path))
        except PathSyntaxError as exc:
            raise RuleError(self.name, f"path {self.path!r}: {exc}") from exc
        if (self.when or self.unless) and self.steps[-1].name is None:
            raise RuleError(self.name, "'when'/'unless' need a path ending in a member name")

    def applies(self, container: Any) -> bool:
        if not isinstance(container, dict):
            return True
        if not all(_among(container.get(k), allowed) for k, allowed in self.when):
            return False
        return not any(_among(container.get(k), refused) for k, refused in self.unless)


def _among(value: Any, values: frozenset[str]) -> bool:
    # Members may hold any JSON value; only strings can match (and lists are unhashable).
    return isinstance(value, str) and value in values


def _c(**members: tuple[str, ...]) -> Condition:
    return tuple((k, frozenset(v)) for k, v in members.items())


_AUTOMATION = ("service", "schedule", "sensor")
_USER_TAGS = ("dagster/user", "user", "owner")
DEFAULT_RULES: tuple[FieldRule, ...] = (
    FieldRule(
        "actor", "$.run.facets.mlaudit_actor.name", unless=_c(kind=_AUTOMATION, name=("unknown",))
    ),
    FieldRule("dagster-user-tag", '$.run.facets.mlaudit_dagster.tags["dagster/user"]'),
    FieldRule("run-user-tags", "$.run.facets.tags.tags[*].value", when=_c(key=_USER_TAGS)),
    FieldRule("job-user-tags", "$.job.facets.tags.tags[*].value", when=_c(key=_USER_TAGS)),
    FieldRule("job-owners", "$.job.facets.ownership.owners[*].name"),
    FieldRule("input-owners", "$.inputs[*].facets.ownership.owners[*].name"),
    FieldRule("output-owners", "$.outputs[*].facets.ownership.owners[*].name"),
    FieldRule("dataset-owners", "$.dataset.facets.ownership.owners[*].name"),
    FieldRule("airflow-dag-owner", "$.run.facets.airflow.dag.owner"),
    FieldRule("airflow-task-owner", "$.run.facets.airflow.task.owner"),
    FieldRule(
        "user-action-account",
        "$.run.facets.mlaudit_user_action.target.name",
        when=_c(kind=("account", "user")),
    ),
)


@dataclass(frozen=True)
class RuleSet:
    fields: tuple[FieldRule, ...] = DEFAULT_RULES
    scan_emails: bool = True

    @cached_property
    def custom(self) -> bool:
        """Rules beyond the built-in ones: tests cannot vouch that their output still validates."""
        return any(rule not in DEFAULT_RULES for rule in self.fields)


def load_rules(env: Mapping[str, str] | None = None) -> RuleSet:
    """The built-in rules plus those of the file named by MLAUDIT_PRIVACY_RULES, if any."""
    name = (os.environ if env is None else env).get(RULES_VARIABLE)
    if not name:
        return RuleSet()
    return rules_from_file(Path(name))


def rules_from_file(path: Path) -> RuleSet:
    data = _read(path)
    source = f"{RULES_VARIABLE}={path}"
    unknown = set(data) - {"rules", "scan_emails"}
    if unknown:
        raise PrivacyConfigError(f"{source}: unknown setting(s) {sorted(unknown)}")
    scan = data.get("scan_emails", True)
    if not isinstance(scan, bool):
        raise PrivacyConfigError(f"{source}: scan_emails must be true or false")
    entries = data.get("rules", [])
    if not isinstance(entries, list):
        raise PrivacyConfigError(f"{source}: 'rules' must be a list of rules")
    added = tuple(_rule(entry, number, source) for number, entry in enumerate(entries, 1))
    names = [r.name for r in (*DEFAULT_RULES, *added)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise PrivacyConfigError(f"{source}: rule name(s) used twice: {twice}")
    return RuleSet(fields=DEFAULT_RULES + added, scan_emails=scan)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except OSError as exc:
        raise PrivacyConfigError(f"{RULES_VARIABLE}={path}: cannot read: {exc.strerror}") from exc
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix == ".toml" else "JSON"
        raise PrivacyConfigError(f"{RULES_VARIABLE}={path}: not valid {kind}: {exc}") from exc
    if not isinstance(data, dict):
        raise PrivacyConfigError(f"{RULES_VARIABLE}={path}: expected an object/table at the top")
    return data


def _rule(entry: Any, number: int, source: str) -> FieldRule:
    label = f"{source}: rule #{number}"
    if not isinstance(entry, dict):
        raise PrivacyConfigError(f"{label}: expected an object with 'name' and 'path'")
    label += f" {entry.get('name')!r}" if "name" in entry else ""
    unknown = set(entry) - {"name", "path", "when", "unless"}
    if unknown:
        raise PrivacyConfigError(f"{label}: unknown key(s) {sorted(unknown)}")
    for key in ("name", "path"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise PrivacyConfigError(f"{label}: '{key}' must be a non-empty string")
    try:
        return FieldRule(
            name=entry["name"],
            path=entry["path"],
            when=_condition(entry.get("when", {}), "when"),
            unless=_condition(entry.get("unless", {}), "unless"),
        )
    except RuleError as exc:
        raise PrivacyConfigError(f"{label}: {exc.detail}") from exc
    except ValueError as exc:
        raise PrivacyConfigError(f"{label}: {exc}") from exc


def _condition(value: Any, key: str) -> Condition:
    """`{member: [values]}` (a single string is one value)."""
    if not isinstance(value, dict):
        raise ValueError(f"'{key}' must map member names to lists of values")
    condition = []
    for member, allowed in value.items():
        allowed = [allowed] if isinstance(allowed, str) else allowed
        if not isinstance(allowed, list) or not all(isinstance(v, str) for v in allowed):
            raise ValueError(f"'{key}.{member}' must be a string or a list of strings")
        condition.append((member, frozenset(allowed)))
    return tuple(condition)
