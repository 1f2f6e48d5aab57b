"""The plain predicates the compiled checks are built from: each answers only "valid?".

They are hot (run for every value of every valid event), hence the small closures and loops.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

Check = Callable[[Any], bool]


# What jsonschema has no validator for ($id, $defs, description, and typos such as upstream's
# "documentation") it ignores, so the compiled checks do too; any keyword it does validate and
# the compiler does not know makes the schema UnsupportedSchema.
ASSERTIONS = frozenset(Draft202012Validator.VALIDATORS)
# Compiled together: {"type": "object", "properties": ...} is the commonest node.
OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties", "dependentRequired"})


class UnsupportedSchema(Exception):
    """A schema uses a keyword (or a form of one) that the compiled checks do not implement."""


def is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


TYPES: dict[str, Check] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": is_integer,
    "number": is_number,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


def always(value: Any) -> bool:
    return True


def never(value: Any) -> bool:
    return False


BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda value, bound: value >= bound,
    "maximum": lambda value, bound: value <= bound,
    "exclusiveMinimum": lambda value, bound: value > bound,
    "exclusiveMaximum": lambda value, bound: value < bound,
}


def bound(within: Callable[[Any, Any], bool], limit: Any) -> Check:
    return lambda value: not is_number(value) or within(value, limit)


def strings_in(allowed: list[Any]) -> Check:
    if not all(isinstance(item, str) for item in allowed):
        raise UnsupportedSchema(f"non-string enum/const {allowed!r}")
    choices = frozenset(allowed)
    return lambda value: isinstance(value, str) and value in choices


def items(inner: Check) -> Check:
    def check(value: Any) -> bool:
        return not isinstance(value, list) or all(map(inner, value))

    return check


def all_of(checks: list[Check]) -> Check:
    checks = [check for check in checks if check is not always]
    if not checks:
        return always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    parts = tuple(checks)

    def check(value: Any) -> bool:
        for part in parts:  # noqa: SIM110 - a plain loop is the fastest here, and this is hot
            if not part(value):
                return False
        return True

    return check


def any_of(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]
    parts = tuple(checks)

    def check(value: Any) -> bool:
        for part in parts:  # noqa: SIM110 - as in all_of
            if part(value):
                return True
        return False

    return check


def one_of(checks: list[Check]) -> Check:
    parts = tuple(checks)
    return lambda value: sum(1 for part in parts if part(value)) == 1
