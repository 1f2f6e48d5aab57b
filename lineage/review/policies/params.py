"""Checked parameter values of the policies: each check takes the config key and the raw value
and returns the value to use, or raises ReviewConfigError naming the key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lineage.findings.draft import SEVERITIES
from lineage.review.config import ReviewConfigError

Check = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Param:
    """One configurable parameter: its default and the check its configured value must pass."""

    default: Any
    check: Check
    help: str


def boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ReviewConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def severity(key: str, value: Any) -> str:
    if value not in SEVERITIES:
        raise ReviewConfigError(f"{key}: expected one of {', '.join(SEVERITIES)}, got {value!r}")
    return str(value)


def number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReviewConfigError(f"{key}: expected a number, got {value!r}")
    return float(value)


def non_negative(key: str, value: Any) -> float:
    result = number(key, value)
    if result < 0:
        raise ReviewConfigError(f"{key}: expected a number >= 0, got {value!r}")
    return result


def names(key: str, value: Any) -> tuple[str, ...]:
    """A list of non-empty strings (names or globs)."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ReviewConfigError(f"{key}: expected a list of non-empty strings, got {value!r}")
    return tuple(value)


def thresholds(key: str, value: Any) -> dict[str, float]:
    """A table of metric name -> number."""
    if not isinstance(value, Mapping):
        raise ReviewConfigError(f"{key}: expected a table of metric = number, got {value!r}")
    return {str(name): number(f"{key}.{name}", limit) for name, limit in value.items()}


def one_of(*choices: str) -> Check:
    def check(key: str, value: Any) -> str:
        if value not in choices:
            raise ReviewConfigError(f"{key}: expected one of {', '.join(choices)}, got {value!r}")
        return str(value)

    return check


def subset_of(*choices: str) -> Check:
    def check(key: str, value: Any) -> tuple[str, ...]:
        items = names(key, value)
        wrong = [item for item in items if item not in choices]
        if wrong:
            raise ReviewConfigError(f"{key}: {wrong[0]!r} is not one of {', '.join(choices)}")
        return items

    return check
