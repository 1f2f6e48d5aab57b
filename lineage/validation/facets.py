"""Standard facets by key name, and the schema version a standard facet is validated against.

Which keys are standard, and at which place (run, job, dataset, input, output), is derived from
each current facet schema's top-level `properties`; nothing is listed by hand.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from lineage.validation.documents import (
    CORE_URL,
    FACET_URL,
    core_definitions,
    core_documents,
    current_facet_documents,
    definitions_keyword,
    facet_documents,
    registry,
)

# Where facets sit in an event, named after the core's generic facet definition for that place.
BASE_FACET_LOCATIONS = {
    "RunFacet": "run",
    "JobFacet": "job",
    "DatasetFacet": "dataset",
    "InputDatasetFacet": "input",
    "OutputDatasetFacet": "output",
}
_BASE_FACET_REF = re.compile(r"OpenLineage\.json#/\$defs/(\w+)$")


@dataclass(frozen=True)
class StandardFacet:
    """A standard facet as one place in an event sees it: a schema file and its definition(s)."""

    file: str
    definitions: tuple[str, ...]


@functools.cache
def standard_facets() -> dict[tuple[str, str], StandardFacet]:
    """(place, key) -> facet, derived from each current facet schema's top-level `properties`."""
    found: dict[tuple[str, str], list[str]] = {}
    files: dict[tuple[str, str], str] = {}
    for stem, document in current_facet_documents().items():
        for key, schema in document.get("properties", {}).items():
            for place, definition in _placed_definitions(document, schema, set()):
                if files.setdefault((place, key), stem) != stem:
                    raise RuntimeError(f"facet key {key!r} at {place} claimed by two schema files")
                found.setdefault((place, key), []).append(definition)
    return {
        slot: StandardFacet(files[slot], tuple(dict.fromkeys(definitions)))
        for slot, definitions in found.items()
    }


def _placed_definitions(
    document: Mapping[str, Any], schema: Mapping[str, Any], seen: set[str]
) -> Iterator[tuple[str, str]]:
    """(place, definition) for each definition a facet property can be, by its core base facet."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        if name not in seen:
            seen.add(name)
            definition = document["$defs"][name]
            for part in definition.get("allOf", ()):
                base = _BASE_FACET_REF.search(part.get("$ref", ""))
                if base and base.group(1) in BASE_FACET_LOCATIONS:
                    yield BASE_FACET_LOCATIONS[base.group(1)], name
            yield from _placed_definitions(document, definition, seen)
    for keyword in ("anyOf", "oneOf"):
        for branch in schema.get(keyword, ()):
            yield from _placed_definitions(document, branch, seen)


def current_refs(facet: StandardFacet) -> tuple[str, ...]:
    """Absolute refs of the current schema's definition(s) of `facet`."""
    current = current_facet_documents()[facet.file]["$id"]
    return tuple(f"{current}#/$defs/{name}" for name in facet.definitions)


@functools.lru_cache(maxsize=4096)
def standard_facet_refs(facet: StandardFacet, schema_url: str | None) -> tuple[str, ...]:
    """Absolute refs a standard facet is validated against, given its `_schemaURL`.

    A `_schemaURL` naming a version of the same facet that we vendor wins: a facet may be valid
    under the version it was written for and not under a later one (and the reverse). Anything
    else (no URL, a GitHub or test URL, an unpublished version, another facet) reads as current.
    """
    declared = _declared_refs(facet, schema_url) if schema_url else None
    return declared or current_refs(facet)


def _declared_refs(facet: StandardFacet, schema_url: str) -> tuple[str, ...] | None:
    match = FACET_URL.match(schema_url)
    if match:
        document = facet_documents().get((match.group(1), match.group(2)))
        if match.group(2) != facet.file or document is None:
            return None
        if not all(name in document.get("$defs", {}) for name in facet.definitions):
            return None
        return tuple(f"{document['$id']}#/$defs/{name}" for name in facet.definitions)
    # Core 1-0-0/1-0-1 defined the first facets inside OpenLineage.json itself.
    match = CORE_URL.match(schema_url)
    if match and match.group(2):
        version, name = match.group(1), match.group(2).rsplit("/", 1)[-1]
        document = core_documents().get(version)
        if document and name in facet.definitions and name in core_definitions(version):
            return (f"{document['$id']}#/{definitions_keyword(document)}/{name}",)
    return None


@functools.cache
def defined_properties(place: str, key: str) -> frozenset[str]:
    """Every property name the current schema of the standard facet `key` at `place` defines.

    Its own and those of the definitions it builds on (`$ref`, `allOf`, `anyOf`, `oneOf`), such
    as the core base facet's `_producer` and `_schemaURL`. Empty for a key that is not standard
    there.
    """
    facet = standard_facets().get((place, key))
    names: set[str] = set()
    if facet is not None:
        resolver = registry().resolver()
        for ref in current_refs(facet):
            resolved = resolver.lookup(ref)
            _collect_properties(resolved.contents, urldefrag(ref).url, resolver, names, set())
    return frozenset(names)


def _collect_properties(
    schema: Any, base: str, resolver: Any, names: set[str], seen: set[str]
) -> None:
    if not isinstance(schema, dict):
        return
    base = urljoin(base, schema.get("$id", ""))
    names.update(schema.get("properties", {}))
    ref = schema.get("$ref")
    if isinstance(ref, str) and urljoin(base, ref) not in seen:
        uri = urljoin(base, ref)
        seen.add(uri)
        _collect_properties(
            resolver.lookup(uri).contents, urldefrag(uri).url, resolver, names, seen
        )
    for keyword in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(keyword, ()):
            _collect_properties(part, base, resolver, names, seen)
