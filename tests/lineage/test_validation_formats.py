"""Validation: formats, schema documents and caching, and the compiled fast path."""

from __future__ import annotations

import copy
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from validation_support import FACETS, INVALID, mlaudit_facets, paths

from lineage.facets import FACET_KEYS
from lineage.normalize import normalize_event
from lineage.validation import (
    compiled,
    documents,
    formats,
    predicates,
    targets,
    validate_event,
    validators,
)
from lineage.validation import facets as standard
from lineage.validation.targets import core_schema_for

# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2020-12-28T19:51:01Z", True),
        ("2020-12-28T19:51:01.641499Z", True),
        ("2020-12-28T19:51:01.123456789+05:30", True),
        ("2020-12-28t19:51:01z", True),
        ("2024-02-29T00:00:00-00:00", True),
        ("2020-12-28T19:51:01", False),
        ("2020-12-28T19:51:01Z\n", False),
        ("2020-12-28 19:51:01Z", False),
        ("2020-12-28T19:51:01+0530", False),
        ("2020-12-28", False),
        ("2023-02-29T00:00:00Z", False),
        ("2020-13-01T00:00:00Z", False),
        ("2020-12-28T24:00:00Z", False),
        ("2020-12-28T23:60:00Z", False),
        ("0000-01-01T00:00:00Z", False),
        ("\uff12\uff10\uff12\uff10-12-28T19:51:01Z", False),  # fullwidth digits
    ],
)
def test_date_time_format(value, valid):
    assert formats.is_date_time(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/client", True),
        ("https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent", True),
        ("http://test.schema.url", True),
        ("s3://bucket/key%20with%20space", True),
        ("file:/data/x.parquet", True),
        ("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", True),
        ("postgres://user@[::1]:5432/db?x=1", True),
        ("string", False),
        ("https://example.com\n", False),
        ("/relative/path", False),
        ("https://exa mple.com", False),
        ("https://example.com/a#b#c", False),
        ("https://example.com/ä", False),
        ("1http://x", False),
    ],
)
def test_uri_format_is_an_annotation(base_event, make_facet, value, valid):
    # `valid` is whether `value` is an RFC 3986 URI; `format: uri` is not asserted (see
    # lineage.validation.formats), so every string is accepted, by the fast path and by jsonschema.
    source = f"{FACETS}/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet"
    location = f"{FACETS}/1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet"
    base_event["producer"] = value
    base_event["run"]["facets"]["nominalTime"]["_producer"] = value
    base_event["inputs"][0]["facets"]["dataSource"] = make_facet(source, name="db", uri=value)
    base_event["job"]["facets"] = {
        "sourceCodeLocation": make_facet(location, type="git", url=value)
    }
    assert validate_event(base_event) == []
    assert _verdicts(base_event) == (True, True)


def test_only_uuid_and_date_time_are_asserted():
    assert set(formats.format_checker().checkers) == set(formats.ASSERTED_FORMATS)
    assert set(formats.ASSERTED_FORMATS) == {"uuid", "date-time"}


def test_uri_field_still_needs_its_type(base_event, make_facet):
    source = f"{FACETS}/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet"
    base_event["inputs"][0]["facets"]["dataSource"] = make_facet(source, uri=7)
    base_event["producer"] = None
    assert paths(validate_event(base_event)) == {
        "$.producer",
        "$.inputs[0].facets.dataSource.uri",
    }


@pytest.mark.parametrize(
    ("name", "placeholders"),
    [
        ("marquez/event_full.json", ["inputs", 0, "facets", "dataSource", "uri"]),
        ("marquez/event_additional_facet.json", ["job", "facets", "sourceCodeLocation", "url"]),
        ("marquez/event_large.json", ["outputs", 0, "facets", "dataSource", "uri"]),
        ("fluentd-proxy/event_full.json", ["inputs", 0, "facets", "dataSource", "uri"]),
        ("generic/simple_run_event.json", ["producer"]),
    ],
)
def test_uri_placeholders_in_samples_are_accepted(load_sample, name, placeholders):
    event = load_sample(name)
    value = event
    for part in placeholders:
        value = value[part]
    assert value in ("string", "producer")  # a placeholder, no URI
    violations = validate_event(event)
    assert not [v for v in violations if v.path.endswith((".uri", ".url", "producer"))]
    assert validate_event(normalize_event(event)[0]) == []


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("ea041791-68bc-4ae1-bd89-4c8106a157e4", True),
        ("EA041791-68BC-4AE1-BD89-4C8106A157E4", True),
        ("ea04179168bc4ae1bd894c8106a157e4", False),
        ("{ea041791-68bc-4ae1-bd89-4c8106a157e4}", False),
        ("run_id", False),
    ],
)
def test_uuid_format(value, valid):
    assert formats.is_uuid(value) is valid


# --- schemas, registry, caching -----------------------------------------------------------


def test_every_published_core_version_is_vendored():
    versions = set(documents.core_documents())
    expected = {"1-0-0", "1-0-1", "1-0-2", "1-0-3", "1-0-4", "1-0-5", "2-0-0", "2-0-1", "2-0-2"}
    assert versions == expected


def all_schema_refs() -> list[tuple[str, ...]]:
    """Every schema a validator can be built for: cores, every facet version, our facets."""
    refs = [
        targets.core_refs(version, kind)
        for version in documents.core_documents()
        for kind in targets.EVENT_KINDS
        if kind in documents.core_definitions(version)
    ]
    for (place, _), facet in standard.standard_facets().items():
        refs.append((documents.envelopes()["2-0-2"][1][place],))
        for version, stem in documents.facet_documents():
            if stem == facet.file:
                url = f"{FACETS}/{version}/{stem}.json"
                refs.append(standard.standard_facet_refs(facet, url))
        for version in ("1-0-0", "1-0-1"):
            for name in facet.definitions:
                url = f"https://openlineage.io/spec/{version}/OpenLineage.json#/definitions/{name}"
                refs.append(standard.standard_facet_refs(facet, url))
    refs += [targets.keyed_facet_refs("2-0-2", "run", key, None) for key in FACET_KEYS]
    return sorted(set(refs))


def test_every_schema_compiles_and_resolves_offline():
    # Compiling resolves every reachable $ref eagerly, through the registry only.
    refs = all_schema_refs()
    assert len(refs) > 100
    for ref in refs:
        assert compiled.fast_check(ref) is not predicates.never, ref
        validators.validator(ref).check_schema(validators.validator(ref).schema)


def test_nothing_is_fetched(monkeypatch, sample_paths, load_sample):
    def no_network(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    cached = (documents.registry, validators.validator, compiled.fast_check)
    for function in (*cached, compiled.compiler, standard.defined_properties):
        function.cache_clear()
    for name in sample_paths("literal") + sample_paths("invalid"):
        event, _ = normalize_event(load_sample(name))
        assert paths(validate_event(event)) == INVALID.get(name, set()), name


def test_first_use_from_many_threads(sample_paths, load_sample):
    events = [normalize_event(load_sample(name))[0] for name in sample_paths("literal")]
    expected = [validate_event(event) for event in events]
    for function in (validators.validator, compiled.fast_check, compiled.compiler):
        function.cache_clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(validate_event, events * 4))
    assert results == expected * 4


def test_validators_are_built_once(load_sample):
    event = load_sample("python-client/example_full_event.json")
    validate_event(event)
    before = (compiled.fast_check.cache_info().misses, validators.validator.cache_info().misses)
    for _ in range(3):
        validate_event(copy.deepcopy(event))
    after = (compiled.fast_check.cache_info().misses, validators.validator.cache_info().misses)
    assert before == after


# --- the compiled fast path agrees with jsonschema ----------------------------------------

MUTATIONS = (None, 0, 1.5, True, "x", "2020-01-01T00:00:00Z", [], {})
_DELETE = object()


def _locations(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _locations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _locations(item, (*path, index))
    return found


def _mutated(event: Any, path: tuple, replacement: Any) -> Any:
    event = copy.deepcopy(event)
    holder = event
    for part in path[:-1]:
        holder = holder[part]
    if replacement is _DELETE:
        del holder[path[-1]]
    else:
        holder[path[-1]] = replacement
    return event


def _verdicts(event: dict[str, Any]) -> tuple[bool, bool]:
    version, kind = core_schema_for(event)
    fast = compiled.is_valid(event, version, kind)
    full = not any(
        next(iter(validators.validator(refs).iter_errors(instance)), None)
        for _, instance, refs in targets.targets(event, version, kind)
    )
    return fast, full


@pytest.mark.parametrize(
    "name",
    [
        "python-client/example_full_event.json",
        "marquez/event_full.json",
        "marquez/event_dataset_event.json",
        "marquez/event_job_event.json",
        "python-client/serde_example_run_event.json",
        "fluentd-proxy/test-complete.json",
    ],
)
def test_fast_path_agrees_with_jsonschema(load_sample, name):
    event = normalize_event(load_sample(name))[0]
    assert _verdicts(event) == (True, True)
    outcomes = []
    for path in _locations(event):
        for replacement in (_DELETE, *MUTATIONS):
            outcomes.append((path, replacement, *_verdicts(_mutated(event, path, replacement))))
    assert [outcome for outcome in outcomes if outcome[2] != outcome[3]] == []
    assert {outcome[2] for outcome in outcomes} == {True, False}


def test_fast_path_agrees_on_our_facets(base_event, make_facet):
    base_event["run"]["facets"].update(mlaudit_facets(make_facet))
    assert _verdicts(base_event) == (True, True)
    outcomes = []
    for path in _locations(base_event["run"]["facets"], ("run", "facets")):
        for replacement in (_DELETE, *MUTATIONS):
            outcomes.append(
                (path, replacement, *_verdicts(_mutated(base_event, path, replacement)))
            )
    assert [outcome for outcome in outcomes if outcome[2] != outcome[3]] == []
    assert {outcome[2] for outcome in outcomes} == {True, False}
