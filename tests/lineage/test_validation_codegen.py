"""The generated checks (lineage.validation.codegen) on schemas the vendored spec does not hold:
every keyword form the generator writes code for, recursion, and nesting deeper than Python
allows loops in one function. Verdicts are compared with jsonschema's."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from lineage.validation.codegen import Generator
from lineage.validation.compiled import _Compiler
from lineage.validation.formats import format_checker
from lineage.validation.predicates import UnsupportedSchema

BASE = "https://example.test/schemas/tree.json"
TREE = {
    "$id": BASE,
    "$defs": {
        "Node": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
            },
            "additionalProperties": False,
        },
        "Odd": {"type": "object", "properties": {"pair": {"prefixItems": [{"type": "string"}]}}},
    },
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "recursive ref": {"$ref": f"{BASE}#/$defs/Node"},
    "named and additional properties": {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {}},
        "additionalProperties": {"type": "string"},
        "dependentRequired": {"a": ["b"]},
    },
    "object keywords without type": {"required": ["a"], "properties": {"a": {"const": "x"}}},
    "anyOf, oneOf, not": {
        "anyOf": [{"type": "string"}, {"type": "array"}],
        "oneOf": [{"type": "string", "enum": ["a", "b"]}, {"enum": ["b", "c"]}, {"type": "array"}],
        "not": {"const": "c"},
    },
    "bounds and formats": {
        "type": ["number", "null"],
        "minimum": 0,
        "exclusiveMaximum": 10,
        "format": "uri",
    },
    "items of items": {"type": "array", "items": {"type": "array", "items": {"type": "boolean"}}},
}
INSTANCES = [
    None, True, 0, 1, 1.5, 10, -1, "a", "b", "c", "x", [], [[True]], [[1]], [["a"]], {},
    {"a": 1}, {"a": 1, "b": None}, {"a": "x"}, {"b": 2}, {"c": "s"}, {"c": 3},
    {"name": "root"}, {"name": 3}, {"name": "r", "children": [{"name": "c", "children": []}]},
    {"name": "r", "children": [{"name": "c", "children": [{"other": 1}]}]},
    {"name": "r", "extra": 1}, {"name": "r", "children": "no"},
]  # fmt: skip


def _registry() -> Registry:
    return Registry().with_resource(BASE, Resource.from_contents(TREE, DRAFT202012))


def _generator(registry: Registry) -> Generator:
    return Generator(registry, _Compiler(registry, format_checker()).keyword)


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_generated_checks_agree_with_jsonschema(name: str) -> None:
    registry = _registry()
    schema = SCHEMAS[name]
    check = _generator(registry).check(schema)
    authority = Draft202012Validator(schema, registry=registry, format_checker=format_checker())
    for instance in INSTANCES:
        assert check(instance) == authority.is_valid(instance), (name, instance)


def test_nesting_deeper_than_one_function_may_hold() -> None:
    """Forty levels of objects in arrays: eighty nested loops in one function would not compile."""
    schema: dict[str, Any] = {"type": "string"}
    instance: Any = "leaf"
    for _ in range(40):
        schema = {"type": "array", "items": {"type": "object", "properties": {"n": schema}}}
        instance = [{"n": instance}]
    check = _generator(_registry()).check(schema)
    assert check(instance)
    broken = instance
    for _ in range(39):
        broken = broken[0]["n"]
    broken[0]["n"] = 7
    assert not check(instance)


def test_an_unsupported_schema_leaves_no_half_written_function() -> None:
    generator = _generator(_registry())
    odd = {"type": "array", "items": {"$ref": f"{BASE}#/$defs/Odd"}}
    for _ in range(2):  # the second time the ref is not taken for one already written
        with pytest.raises(UnsupportedSchema, match="prefixItems"):
            generator.check(odd)
    check = generator.check({"$ref": f"{BASE}#/$defs/Node"})
    assert check({"name": "n"}) and not check({"name": 1})
