"""The compiled checks as generated Python: one function per schema, its checks inlined.

The closures of `compiled` cost a call per schema node and a dictionary lookup per property of
every object; most nodes of the OpenLineage schemas are `{"type": "string"}`, which as a line of
generated code is one `isinstance`. A function is generated for each `$ref` (so recursive
schemas recurse through calls), for each branch of `anyOf`/`oneOf`/`not`, and for any nested
part that grows large or deep; what has no inline form here (`format`, bounds) calls the closure
`compiled` builds for it. The verdict is the closures' own, keyword for keyword: the tests that
compare the compiled path with jsonschema run on this code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urljoin

from referencing import Registry

from lineage.validation.predicates import (
    ASSERTIONS,
    OBJECT_KEYWORDS,
    Check,
    UnsupportedSchema,
    always,
    is_integer,
    is_number,
    strings_in,
)

Lines = list[str]
# A nested part beyond this many lines, or this deep, becomes a function of its own: Python
# allows 20 nested loops in one function, and short functions are cheaper to call than to skip.
INLINE_LINES = 12
INLINE_DEPTH = 3
_TYPES = {
    "object": "isinstance({}, dict)",
    "array": "isinstance({}, list)",
    "string": "isinstance({}, str)",
    "integer": "_is_integer({})",
    "number": "_is_number({})",
    "boolean": "isinstance({}, bool)",
    "null": "{} is None",
}
_MISSING = object()


class Generator:
    """Generates, compiles and keeps the check functions; one per `$ref`, shared by all."""

    def __init__(self, registry: Registry, fallback: Callable[[str, Any, dict, str], Check]):
        self._resolver = registry.resolver()
        self._fallback = fallback  # compiled's closure for one keyword of a schema
        self._names: dict[str, str] = {}  # $ref uri -> function name
        self._pending: list[str] = []  # sources not yet compiled
        self._functions = 0
        self.namespace: dict[str, Any] = {
            "_is_integer": is_integer,
            "_is_number": is_number,
            "_MISSING": _MISSING,
        }

    def check(self, schema: Any) -> Check:
        """The compiled function for `schema` (and any new functions it calls).

        UnsupportedSchema leaves nothing behind: a `$ref` named while generating would otherwise
        stay known under a function that was never written."""
        names, pending, functions = dict(self._names), list(self._pending), self._functions
        try:
            name = self._function(schema, "")
        except UnsupportedSchema:
            self._names, self._pending, self._functions = names, pending, functions
            raise
        source = "\n\n".join(self._pending)
        self._pending = []
        exec(compile(source, "<mlaudit schema checks>", "exec"), self.namespace)
        return self.namespace[name]

    def _const(self, value: Any) -> str:
        name = f"_c{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def _ref(self, uri: str) -> str:
        if uri not in self._names:
            # Named before its body is generated: a recursive schema calls itself.
            name = self._names[uri] = f"_r{len(self._names)}"
            self._define(name, self._resolver.lookup(uri).contents, urldefrag(uri).url)
        return self._names[uri]

    def _function(self, schema: Any, base: str) -> str:
        return self._new_function("v", self._emit(schema, base, "v", 1, 0))

    def _define(self, name: str, schema: Any, base: str) -> None:
        self._write(name, "v", self._emit(schema, base, "v", 1, 0))

    def _new_function(self, param: str, body: Lines, indent: int = 1) -> str:
        self._functions += 1
        name = f"_f{self._functions}"
        self._write(name, param, body, indent)
        return name

    def _write(self, name: str, param: str, body: Lines, indent: int = 1) -> None:
        """`body`, lines that `return False` written at `indent`, as function `name`."""
        cut = 4 * (indent - 1)
        lines = [f"def {name}({param}):", *[line[cut:] for line in body], "    return True"]
        self._pending.append("\n".join(lines))

    def _emit(self, schema: Any, base: str, var: str, indent: int, depth: int) -> Lines:
        """Lines that `return False` when `var` does not match `schema`."""
        pad = "    " * indent
        if schema is True or schema is False:
            return [] if schema else [f"{pad}return False"]
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"schema {schema!r}")
        base = urljoin(base, schema.get("$id", ""))
        lines: Lines = []
        done: frozenset[str] = frozenset()
        if OBJECT_KEYWORDS.intersection(schema):
            only_objects = schema.get("type") == "object"
            lines += self._object(schema, base, var, indent, depth, only_objects)
            done = OBJECT_KEYWORDS | ({"type"} if only_objects else set())
        for keyword, value in schema.items():
            if keyword == "allOf":
                for part in value:
                    lines += self._emit(part, base, var, indent, depth)
            elif keyword in ASSERTIONS and keyword not in done:
                lines += self._keyword(keyword, value, schema, base, var, indent, depth)
        return lines

    def _keyword(
        self, keyword: str, value: Any, schema: dict, base: str, var: str, indent: int, depth: int
    ) -> Lines:
        pad = "    " * indent
        if keyword == "$ref":
            return [f"{pad}if not {self._ref(urljoin(base, value))}({var}): return False"]
        if keyword == "type":
            names = [value] if isinstance(value, str) else value
            test = " or ".join(_TYPES[name].format(var) for name in names)
            return [f"{pad}if not ({test}): return False"]
        if keyword in ("anyOf", "oneOf"):
            calls = [f"{self._function(part, base)}({var})" for part in value]
            if keyword == "anyOf":
                return [f"{pad}if not ({' or '.join(calls)}): return False"]
            return [f"{pad}if ({' + '.join(f'bool({c})' for c in calls)}) != 1: return False"]
        if keyword == "not":
            return [f"{pad}if {self._function(value, base)}({var}): return False"]
        if keyword == "items" and isinstance(value, dict | bool) and "prefixItems" not in schema:
            item = f"i{depth}"
            body = self._nested(value, base, item, indent + 2, depth + 1)
            if not body:
                return []
            return [f"{pad}if isinstance({var}, list):", f"{pad}    for {item} in {var}:", *body]
        if keyword in ("enum", "const"):
            strings_in(value if keyword == "enum" else [value])  # only strings: else unsupported
            allowed = self._const(frozenset(value if keyword == "enum" else [value]))
            return [f"{pad}if not (isinstance({var}, str) and {var} in {allowed}): return False"]
        check = self._fallback(keyword, value, schema, base)
        if check is always:  # an annotation (`format: uri`, see formats)
            return []
        return [f"{pad}if not {self._const(check)}({var}): return False"]

    def _nested(self, schema: Any, base: str, var: str, indent: int, depth: int) -> Lines:
        """A part checked inside a loop or a property: inline, or a call when large or deep."""
        pad = "    " * indent
        if depth > INLINE_DEPTH:
            return [f"{pad}if not {self._function(schema, base)}({var}): return False"]
        body = self._emit(schema, base, var, indent, depth)
        if len(body) <= INLINE_LINES:
            return body
        # The lines made already become the function's body (its parameter keeps their name).
        return [f"{pad}if not {self._new_function(var, body, indent)}({var}): return False"]

    def _object(
        self, schema: dict, base: str, var: str, indent: int, depth: int, only_objects: bool
    ) -> Lines:
        pad = "    " * indent
        if only_objects:
            lines, inner = [f"{pad}if not isinstance({var}, dict): return False"], indent
        else:
            lines, inner = [f"{pad}if isinstance({var}, dict):", f"{pad}    pass"], indent + 1
        ipad = "    " * inner
        required = frozenset(schema.get("required", ()))
        if required:
            lines.append(f"{ipad}if not {self._const(required)} <= {var}.keys(): return False")
        lines += self._properties(schema, base, var, inner, depth)
        for name, needs in schema.get("dependentRequired", {}).items():
            needed = self._const(frozenset(needs))
            lines.append(
                f"{ipad}if {name!r} in {var} and not {needed} <= {var}.keys(): return False"
            )
        return lines

    def _properties(self, schema: dict, base: str, var: str, indent: int, depth: int) -> Lines:
        pad = "    " * indent
        item = f"x{depth}"
        bodies = {
            name: self._nested(sub, base, item, indent + 2, depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
        additional = schema.get("additionalProperties")
        extra = (
            []
            if additional is None
            else self._nested(additional, base, item, indent + 2, depth + 1)
        )
        if not extra:
            # Only the named properties to check: look each up rather than walk every key.
            lines: Lines = []
            for name, body in bodies.items():
                if body:
                    lines.append(f"{pad}{item} = {var}.get({name!r}, _MISSING)")
                    lines.append(f"{pad}if {item} is not _MISSING:")
                    lines += [line[4:] for line in body]
            return lines
        key = f"k{depth}"
        lines = [f"{pad}for {key}, {item} in {var}.items():"]
        branch = "if"
        for name, body in bodies.items():
            if body:
                lines += [f"{pad}    {branch} {key} == {name!r}:", *body]
                branch = "elif"
        plain = frozenset(name for name, body in bodies.items() if not body)
        if plain:
            lines += [f"{pad}    {branch} {key} in {self._const(plain)}:", f"{pad}        pass"]
            branch = "elif"
        if branch == "if":
            return [*lines[:1], *[line[4:] for line in extra]]
        return [*lines, f"{pad}    else:", *extra]
