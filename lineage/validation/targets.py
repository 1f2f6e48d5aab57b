"""Which parts of an event are validated against which schemas.

* the **envelope**: the core schema of the version named by the event's `schemaURL` (2-0-2 when it
  names none we have), for the event kind named by its fragment or, failing that, by its shape;
* each **facet**, one at a time: standard facets by their key name (see `facets`), `mlaudit_*`
  facets by the schemas in `lineage/schemas/facets/`, and any other key only against the core's
  generic facet of that place (`_producer`, `_schemaURL`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from lineage.facet_keys import FACET_KEYS
from lineage.validation.documents import (
    CORE_URL,
    core_definitions,
    definitions_keyword,
    envelopes,
    mlaudit_documents,
)
from lineage.validation.facets import standard_facet_refs, standard_facets

DEFAULT_VERSION = "2-0-2"
EVENT_KINDS = ("RunEvent", "DatasetEvent", "JobEvent")

JsonPath = tuple[str | int, ...]
Target = tuple[JsonPath, Any, tuple[str, ...]]
FacetMap = tuple[JsonPath, str, Mapping[str, Any]]


def kind_by_shape(event: Mapping[str, Any]) -> str | None:
    """RunEvent: has a run; DatasetEvent: a dataset and no job; JobEvent: a job and no run."""
    if "run" in event:
        return "RunEvent"
    if "dataset" in event and "job" not in event:
        return "DatasetEvent"
    if "job" in event:
        return "JobEvent"
    return None


def core_schema_for(event: Mapping[str, Any]) -> tuple[str, str]:
    """(core version, event kind) that `event` is validated against."""
    version, kind = None, None
    schema_url = event.get("schemaURL")
    match = CORE_URL.match(schema_url) if isinstance(schema_url, str) else None
    if match:
        version = match.group(1)
        fragment_name = (match.group(2) or "").rsplit("/", 1)[-1]
        kind = fragment_name if fragment_name in EVENT_KINDS else None
    # An unshaped event is checked as a RunEvent, the kind whose requirements it most likely misses.
    kind = kind or kind_by_shape(event) or "RunEvent"
    # 1-0-x define only RunEvent: a JobEvent/DatasetEvent naming them cannot be read by them.
    if version is None or kind not in core_definitions(version):
        version = DEFAULT_VERSION
    return version, kind


def schema_of(refs: tuple[str, ...]) -> dict[str, Any]:
    """The schema an instance must match: the one ref, or any of several."""
    if len(refs) == 1:
        return {"$ref": refs[0]}
    return {"anyOf": [{"$ref": ref} for ref in refs]}


@functools.cache
def core_refs(version: str, kind: str) -> tuple[str, ...]:
    envelope, _ = envelopes()[version]
    return (f"{envelope['$id']}#/{definitions_keyword(envelope)}/{kind}",)


def is_deletion_marker(place: str, facet: Any) -> bool:
    # A job or dataset facet with `_deleted: true` only marks the facet as removed (core
    # JobFacet/DatasetFacet): it carries no content for the facet's own schema to check.
    return isinstance(facet, dict) and facet.get("_deleted") is True and place in ("job", "dataset")


def facet_refs(version: str, place: str, key: str, facet: Any) -> tuple[str, ...]:
    if is_deletion_marker(place, facet):
        return (envelopes()[version][1][place],)
    schema_url = facet.get("_schemaURL") if isinstance(facet, dict) else None
    return keyed_facet_refs(
        version, place, key, schema_url if isinstance(schema_url, str) else None
    )


@functools.lru_cache(maxsize=4096)
def keyed_facet_refs(version: str, place: str, key: str, schema_url: str | None) -> tuple[str, ...]:
    mlaudit = FACET_KEYS.get(key)
    if mlaudit is not None:
        return (f"{mlaudit_documents()[mlaudit]['$id']}#/$defs/{mlaudit}",)
    standard = standard_facets().get((place, key))
    if standard is None:
        return (envelopes()[version][1][place],)
    return standard_facet_refs(standard, schema_url)


def targets(event: Mapping[str, Any], version: str, kind: str) -> list[Target]:
    """(path, instance, schema refs) for the envelope and for every facet."""
    found: list[Target] = [((), event, core_refs(version, kind))]
    for path, place, facets in facet_maps(event, kind):
        for key, facet in facets.items():
            found.append(((*path, key), facet, facet_refs(version, place, key, facet)))
    return found


def facet_maps(event: Mapping[str, Any], kind: str) -> list[FacetMap]:
    """(path, place, facet map) for every facet map the event carries.

    A list built in one loop rather than nested generators: it runs for every ingested event
    (validation; normalisation too when any_facet_named finds a dataQualityMetrics facet), and
    the generator frames cost more than the lookups.
    """
    found: list[FacetMap] = []
    if kind == "DatasetEvent":
        _add_facet_map(found, event.get("dataset"), ("dataset",), "facets", "dataset")
        return found
    if kind == "RunEvent":
        _add_facet_map(found, event.get("run"), ("run",), "facets", "run")
    _add_facet_map(found, event.get("job"), ("job",), "facets", "job")
    for side, own_key, own_place in _SIDES:
        datasets = event.get(side)
        if isinstance(datasets, list):
            for index, dataset in enumerate(datasets):
                _add_facet_map(found, dataset, (side, index), "facets", "dataset")
                _add_facet_map(found, dataset, (side, index), own_key, own_place)
    return found


_SIDES = (("inputs", "inputFacets", "input"), ("outputs", "outputFacets", "output"))


def any_facet_named(event: Mapping[str, Any], name: str) -> bool:
    """Whether a facet map of the event, of any kind's places, has a member `name`: facet_maps'
    answer to "is there one at all?" without building its paths (2.1 us against 3.4, with
    core_schema_for, for a generator event)."""
    holders = [event.get("run"), event.get("job"), event.get("dataset")]
    for side, own_key, _ in _SIDES:
        datasets = event.get(side)
        if isinstance(datasets, list):
            for dataset in datasets:
                if isinstance(dataset, dict) and _has(dataset.get(own_key), name):
                    return True
                holders.append(dataset)
    return any(isinstance(h, dict) and _has(h.get("facets"), name) for h in holders)


def _has(facets: Any, name: str) -> bool:
    return isinstance(facets, dict) and name in facets


def _add_facet_map(
    found: list[FacetMap], holder: Any, path: JsonPath, key: str, place: str
) -> None:
    # A map of the wrong type is the envelope's to report.
    if isinstance(holder, dict):
        facets = holder.get(key)
        if isinstance(facets, dict):
            found.append(((*path, key), place, facets))
