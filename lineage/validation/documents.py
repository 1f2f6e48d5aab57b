"""The vendored schema documents, and the one `referencing.Registry` every `$ref` resolves through.

Core schemas by version, every published version of the standard facets, the current standard
facets, this project's `mlaudit_*` facets, and an envelope derived from each core (see
`envelopes`). Everything is read from `lineage/schemas/`; nothing is ever fetched.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from referencing import Registry
from referencing.jsonschema import DRAFT202012

from lineage.facet_keys import FACET_KEYS

SCHEMA_DIR = Path(__file__).parent.parent / "schemas"
OPENLINEAGE_DIR = SCHEMA_DIR / "openlineage"
MLAUDIT_FACET_DIR = SCHEMA_DIR / "facets"

CORE_URL = re.compile(r"^https?://openlineage\.io/spec/(\d+-\d+-\d+)/OpenLineage\.json(?:#(.*))?\Z")
FACET_URL = re.compile(r"^https?://openlineage\.io/spec/facets/(\d+-\d+-\d+)/(\w+)\.json(?:#.*)?\Z")

# Our own id space for the derived envelope schemas, so they never shadow a published $id.
ENVELOPE_BASE = "https://mlaudit.invalid/openlineage-envelope"
# The core definitions that hold facet maps, and the place each map is.
FACET_CONTAINERS = {
    ("Run", "facets"): "run",
    ("Job", "facets"): "job",
    ("Dataset", "facets"): "dataset",
    ("InputDataset", "inputFacets"): "input",
    ("OutputDataset", "outputFacets"): "output",
}


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@functools.cache
def core_documents() -> dict[str, dict[str, Any]]:
    versioned = OPENLINEAGE_DIR / "versioned"
    return {
        path.parent.name: _load(path)
        for path in sorted(versioned.glob("*/OpenLineage.json"))
        if re.fullmatch(r"\d+-\d+-\d+", path.parent.name)
    }


def definitions_keyword(document: Mapping[str, Any]) -> str:
    # Core 1-0-0 and 1-0-1 use draft-07's "definitions", later ones "$defs".
    return "$defs" if "$defs" in document else "definitions"


def core_definitions(version: str) -> Mapping[str, Any]:
    document = core_documents().get(version)
    return document[definitions_keyword(document)] if document else {}


@functools.cache
def facet_documents() -> dict[tuple[str, str], dict[str, Any]]:
    """(version, file stem) -> every published facet schema, current ones included."""
    documents: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted((OPENLINEAGE_DIR / "versioned" / "facets").glob("*/*.json")):
        documents[(path.parent.name, path.stem)] = _load(path)
    for path in sorted((OPENLINEAGE_DIR / "facets").glob("*.json")):
        document = _load(path)
        version = FACET_URL.match(document["$id"]).group(1)
        documents.setdefault((version, path.stem), document)
    return documents


@functools.cache
def current_facet_documents() -> dict[str, dict[str, Any]]:
    return {path.stem: _load(path) for path in sorted((OPENLINEAGE_DIR / "facets").glob("*.json"))}


@functools.cache
def mlaudit_documents() -> dict[str, dict[str, Any]]:
    return {name: _load(MLAUDIT_FACET_DIR / f"{name}.json") for name in FACET_KEYS.values()}


@functools.cache
def envelopes() -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """version -> (envelope document, place -> absolute ref of the core's generic facet there).

    The envelope is the core schema with each facet map reduced to "an object": facets are then
    validated one by one (by key, or as the generic facet), so the core's own embedded facet
    definitions (1-0-0/1-0-1) cannot contradict the version a facet declares, and the
    `anyOf: [generic, {"$ref": "facets/X.json"}, ...]` of 1-0-4 … 2-0-1 drops out: its relative
    refs name files never published at those URLs, and the anyOf let a facet (1-0-4) or a whole
    facet map (1-0-5 … 2-0-1) skip the generic facet's required `_producer`/`_schemaURL`.
    """
    return {version: _envelope(version, document) for version, document in core_documents().items()}


def _envelope(version: str, core: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    envelope = copy.deepcopy(core)
    envelope["$id"] = f"{ENVELOPE_BASE}/{version}/OpenLineage.json"
    definitions = envelope[definitions_keyword(envelope)]
    generic: dict[str, str] = {}
    for (definition, key), place in FACET_CONTAINERS.items():
        for holder in _property_holders(definitions.get(definition, {})):
            if key in holder:
                generic[place] = urljoin(core["$id"], _generic_facet_ref(holder[key]))
                holder[key] = {"type": "object"}
    leftover = [ref for ref in _refs(envelope) if not ref.startswith("#")]
    if leftover or len(generic) != len(FACET_CONTAINERS):
        raise RuntimeError(f"core {version}: unexpected shape (refs {leftover}, maps {generic})")
    return envelope, generic


def _property_holders(schema: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    if "properties" in schema:
        yield schema["properties"]
    for part in schema.get("allOf", ()):
        yield from _property_holders(part)


def _generic_facet_ref(facet_map: Mapping[str, Any]) -> str:
    """The core's own facet definition in a facet map, whichever of the published shapes it has."""
    for branch in (facet_map, *facet_map.get("anyOf", ())):
        facet = branch.get("additionalProperties", {})
        for candidate in (facet, *facet.get("anyOf", ())):
            ref = candidate.get("$ref", "")
            if ref.startswith("#"):
                return ref
    raise LookupError(f"no generic facet in {facet_map}")


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs(item)


@functools.cache
def registry() -> Registry:
    """Every vendored schema under its own `$id`, plus the derived envelopes. Never retrieves."""
    documents: list[dict[str, Any]] = [
        *core_documents().values(),
        *facet_documents().values(),
        *mlaudit_documents().values(),
        *(envelope for envelope, _ in envelopes().values()),
    ]
    resources = [(document["$id"], DRAFT202012.create_resource(document)) for document in documents]
    return Registry().with_resources(resources).crawl()
