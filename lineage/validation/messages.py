"""What a violation says: the JSON path of the offending value, and a short message naming it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_MESSAGE_VALUE_LIMIT = 80


def explain(
    validator: Validator, instance: Any, prefix: tuple[str | int, ...]
) -> Iterator[tuple[str, str]]:
    """(JSON path, message) for every error `validator` finds in `instance`, at `prefix`."""
    for error in validator.iter_errors(instance):
        error = _leaf(error)
        path = (*prefix, *error.absolute_path)
        yield json_path(path), f"{_field(path)}: {_describe_error(error)}"


def _leaf(error: ValidationError) -> ValidationError:
    # anyOf/oneOf report their own failure; the branch error closest to the data says more.
    while error.validator in ("anyOf", "oneOf") and error.context:
        error = best_match(error.context)
    return error


def _describe_error(error: ValidationError) -> str:
    value = error.instance
    keyword, expected = error.validator, error.validator_value
    if keyword == "required":
        return "required field is missing"
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {wanted}, got {describe(value)}"
    if keyword == "format":
        return f"{_short(value)} is not a valid {expected}"
    if keyword == "enum":
        return f"{_short(value)} is not one of {', '.join(_short(item) for item in expected)}"
    if keyword == "const":
        return f"{_short(value)} is not {_short(expected)}"
    if keyword == "not":
        return f"{_short(value)} must not match {_short(expected)}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{_short(value)} fails {keyword} {expected}"
    if keyword == "oneOf":
        return f"{_short(value)} matches more than one of the allowed shapes"
    return _truncate(error.message, 2 * _MESSAGE_VALUE_LIMIT)


def describe(value: Any) -> str:
    """`string "x"`, `number 3`: the JSON type and a short rendering of `value`."""
    return f"{_json_type(value)} {_short(value)}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return _truncate(text, _MESSAGE_VALUE_LIMIT)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_path(parts: Iterable[str | int]) -> str:
    """`$.run.facets.nominalTime`, `$.inputs[0].name`, `$.run.facets['spark.logicalPlan']`."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            out.append(f".{part}")
        else:
            out.append("['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']")
    return "".join(out)


def _field(path: tuple[str | int, ...]) -> str:
    """The field a violation is about, with trailing array indices: `owners[0]`, `eventTime`."""
    index = len(path)
    while index and isinstance(path[index - 1], int):
        index -= 1
    if index == 0:
        return "event" + json_path(path)[1:]
    return json_path(path[index - 1 :])[1:].lstrip(".")
