"""Personal datasets: tagged through the OpenLineage `tags` facet, or named in review.toml."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.review.config import ReviewConfigError
from lineage.review.context import ReviewContext, ReviewWindow
from lineage.review.sensitivity import is_personal_facets, name_globs, personal_datasets

TAGS_SCHEMA = "https://openlineage.io/spec/facets/1-0-0/TagsDatasetFacet.json"
UNTIL = "2026-12-31T00:00:00.000000Z"


def tags(*pairs: tuple[str, str]) -> dict[str, Any]:
    items = [{"key": k, "value": v, "source": "DAGSTER"} for k, v in pairs]
    return {"_producer": "https://test", "_schemaURL": TAGS_SCHEMA, "tags": items}


def context(store: Any, config: dict[str, Any] | None = None, until: str = UNTIL) -> ReviewContext:
    return ReviewContext(store, ReviewWindow(None, until), until, config or {})


def write(kit: Any, run: str, time: str, *outputs: dict[str, Any]) -> dict[str, Any]:
    return kit.event(run, run, time=time, actor="alice", outputs=list(outputs))


def test_tagged_versions_and_configured_names_are_personal(store: Any, kit: Any) -> None:
    store.ingest(
        [
            write(
                kit,
                "a",
                "2026-01-01T10:00:00Z",
                kit.dataset("patients", "p1", tags=tags(("pii", "TRUE"))),
            ),
            write(
                kit,
                "b",
                "2026-01-01T10:01:00Z",
                kit.dataset("claims", "c1", tags=tags(("sensitivity", "Personal"))),
            ),
            write(
                kit,
                "c",
                "2026-01-01T10:02:00Z",
                kit.dataset("prices", "x1", tags=tags(("pii", "false"))),
            ),
            write(kit, "d", "2026-01-01T10:03:00Z", kit.dataset("weather", "w1")),
            write(kit, "e", "2026-01-01T10:04:00Z", kit.dataset("hr/staff", "s1")),
        ]
    )
    found = personal_datasets(context(store, {"sensitivity": {"personal_data": ["test/hr/*"]}}))
    assert sorted(found.values()) == ["test/claims", "test/hr/staff", "test/patients"]
    assert sorted(personal_datasets(context(store)).values()) == ["test/claims", "test/patients"]


def test_a_tag_added_after_the_window_does_not_count(store: Any, kit: Any) -> None:
    store.ingest(
        [
            write(kit, "a", "2026-01-01T10:00:00Z", kit.dataset("patients", "p1")),
            write(
                kit,
                "b",
                "2026-03-01T10:00:00Z",
                kit.dataset("patients", "p2", tags=tags(("personal_data", "yes"))),
            ),
        ]
    )
    assert personal_datasets(context(store, until="2026-02-01T00:00:00.000000Z")) == {}
    assert list(personal_datasets(context(store)).values()) == ["test/patients"]


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ((("personal_data", "true"),), True),
        ((("PII", " Yes "),), True),
        ((("sensitivity", "sensitive"),), True),
        ((("sensitivity", "public"),), False),
        ((("pii", "no"),), False),
        ((("owner", "true"),), False),
        ((("team", "x"), ("pii", "1")), True),
    ],
)
def test_tag_judgement(pairs: tuple[tuple[str, str], ...], expected: bool) -> None:
    assert is_personal_facets({"tags": tags(*pairs)}) is expected


def test_tag_judgement_ignores_malformed_facets() -> None:
    assert not is_personal_facets({"tags": {"tags": "pii"}})
    assert not is_personal_facets({"tags": {"tags": ["pii", None]}})
    assert not is_personal_facets({})


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"personal": ["x"]}, "sensitivity.personal"),
        ({"personal_data": "test/*"}, "sensitivity.personal_data"),
        ({"personal_data": ["ok", 3]}, "sensitivity.personal_data"),
    ],
)
def test_bad_sensitivity_config_names_the_key(section: dict[str, Any], key: str) -> None:
    with pytest.raises(ReviewConfigError, match=key):
        name_globs(section)
