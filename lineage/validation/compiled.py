"""Compiled checks: the fast yes.

jsonschema walks a schema with a fresh validator object per subschema, about 2,000 events/s for
a facet-rich event. Most events are valid, so each schema is also compiled once into plain
predicates that only answer "valid?". A yes is final; a no (or a schema using a keyword the
compiler does not know) hands the event to jsonschema, which alone decides and explains. So a
predicate may be stricter than jsonschema, never looser (tests compare them on mutated events).

The predicates run are generated Python (`codegen`); the closures built here are what that code
calls for the keywords it does not write out (`format`, bounds).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema import FormatChecker
from referencing import Registry

from lineage.validation import predicates as p
from lineage.validation.codegen import Generator
from lineage.validation.documents import registry
from lineage.validation.formats import CANONICAL_UUID, format_checker
from lineage.validation.predicates import Check, UnsupportedSchema
from lineage.validation.targets import core_refs, facet_maps, facet_refs, schema_of


def is_valid(event: Mapping[str, Any], version: str, kind: str) -> bool:
    """The compiled checks' verdict: True is final, False sends the event to jsonschema."""
    if not fast_check(core_refs(version, kind))(event):
        return False
    for _, place, facets in facet_maps(event, kind):
        for key, facet in facets.items():
            if not _facet_check(version, place, key, facet)(facet):
                return False
    return True


# (version, place, key, _schemaURL, _deleted) -> check: facet_refs and fast_check's own caches
# cost more per facet than most facets' checks. Bounded: the URL comes from the producer.
_FACET_CHECKS: dict[tuple[str, str, str, str | None, bool], Check] = {}
_FACET_CHECKS_LIMIT = 4096


def _facet_check(version: str, place: str, key: str, facet: Any) -> Check:
    """fast_check(facet_refs(...)), keyed by exactly what facet_refs reads of the facet."""
    if isinstance(facet, dict):
        url, deleted = facet.get("_schemaURL"), facet.get("_deleted") is True
        cache_key = (version, place, key, url if isinstance(url, str) else None, deleted)
    else:
        cache_key = (version, place, key, None, False)
    check = _FACET_CHECKS.get(cache_key)
    if check is None:
        if len(_FACET_CHECKS) >= _FACET_CHECKS_LIMIT:
            _FACET_CHECKS.clear()
        check = _FACET_CHECKS[cache_key] = fast_check(facet_refs(version, place, key, facet))
    return check


class _Compiler:
    def __init__(self, registry: Registry, checker: FormatChecker) -> None:
        self._resolver = registry.resolver()
        self._checker = checker
        self._compiled: dict[str, Check] = {}

    def ref(self, uri: str) -> Check:
        if uri not in self._compiled:
            # Recursive schemas (nested schema fields) reach this uri again while it compiles.
            box: list[Check] = []
            self._compiled[uri] = lambda value: box[0](value)
            box.append(self.schema(self._resolver.lookup(uri).contents, urldefrag(uri).url))
            self._compiled[uri] = box[0]
        return self._compiled[uri]

    def schema(self, schema: Any, base: str) -> Check:
        return p.all_of(self._checks(schema, base))

    def _checks(self, schema: Any, base: str) -> list[Check]:
        if schema is True or schema is False:
            return [] if schema else [p.never]
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"schema {schema!r}")
        base = urljoin(base, schema.get("$id", ""))
        done: set[str] = set()
        checks = []
        if p.OBJECT_KEYWORDS.intersection(schema):
            # {"type": "object", "properties": ...} is the commonest node: one closure for both.
            only_objects = schema.get("type") == "object"
            checks.append(self._object(schema, base, only_objects))
            done = p.OBJECT_KEYWORDS | ({"type"} if only_objects else set())
        for keyword, value in schema.items():
            if keyword == "allOf":
                # Flattened into this node's own list: allOf chains are how facets extend bases.
                for part in value:
                    checks += self._checks(part, base)
            elif keyword in p.ASSERTIONS and keyword not in done:
                checks.append(self.keyword(keyword, value, schema, base))
        return checks

    def keyword(self, keyword: str, value: Any, schema: dict[str, Any], base: str) -> Check:
        if keyword == "$ref":
            return self.ref(urljoin(base, value))
        if keyword == "type":
            return p.any_of(
                [p.TYPES[name] for name in ([value] if isinstance(value, str) else value)]
            )
        if keyword in ("anyOf", "oneOf"):
            parts = [self.schema(part, base) for part in value]
            return p.any_of(parts) if keyword == "anyOf" else p.one_of(parts)
        if keyword == "not":
            inner = self.schema(value, base)
            return lambda instance: not inner(instance)
        if keyword == "items" and isinstance(value, dict | bool) and "prefixItems" not in schema:
            return p.items(self.schema(value, base))
        if keyword in ("enum", "const"):
            return p.strings_in(value if keyword == "enum" else [value])
        if keyword == "format":
            return self._format(value)
        if keyword in p.BOUNDS:
            return p.bound(p.BOUNDS[keyword], value)
        raise UnsupportedSchema(f"keyword {keyword!r}")

    def _format(self, name: str) -> Check:
        if name == "uuid":
            # Canonical form only: never looser than jsonschema's UUID() parse, and much cheaper.
            return lambda value: (
                not isinstance(value, str) or CANONICAL_UUID.match(value) is not None
            )
        if name not in self._checker.checkers:
            # Not an asserted format (`uri`, ...): an annotation, for jsonschema too (see formats).
            return p.always
        func, raises = self._checker.checkers[name]

        def check(value: Any) -> bool:
            try:
                return bool(func(value))
            except raises:
                return False

        return check

    def _object(self, schema: dict[str, Any], base: str, only_objects: bool) -> Check:
        properties = {
            name: self.schema(sub, base) for name, sub in schema.get("properties", {}).items()
        }
        additional = schema.get("additionalProperties")
        extra = None if additional is None else self.schema(additional, base)
        extra = None if extra is p.always else extra
        required = frozenset(schema.get("required", ()))
        dependent = tuple(schema.get("dependentRequired", {}).items())

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return not only_objects
            # One subset test instead of a loop over the names (hot: every object of every event).
            if not required <= value.keys():
                return False
            for name, item in value.items():
                sub = properties.get(name, extra)
                if sub is not None and not sub(item):
                    return False
            for name, needs in dependent:
                if name in value and not all(need in value for need in needs):
                    return False
            return True

        return check


@functools.cache
def compiler() -> _Compiler:
    return _Compiler(registry(), format_checker())


# Compiling a recursive schema briefly leaves a placeholder that another thread must not run.
_COMPILING = threading.Lock()


@functools.cache
def generator() -> Generator:
    return Generator(registry(), compiler().keyword)


@functools.cache
def fast_check(refs: tuple[str, ...]) -> Check:
    """The compiled predicate for `refs`; one that always says no if the schema cannot compile."""
    with _COMPILING:
        try:
            return generator().check(schema_of(refs))
        except UnsupportedSchema:
            return p.never
