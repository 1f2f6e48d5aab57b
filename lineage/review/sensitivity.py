"""Which datasets hold personal data: tagged so by their producer, or named so by the project.

A producer marks a dataset with the OpenLineage `tags` dataset facet (`{"key": "personal_data",
"value": "true"}`, `pii`, or `sensitivity` = personal/pii/sensitive), on the dataset or on any of
its versions up to the end of the review window. A project can add datasets by name in
review.toml: `[sensitivity] personal_data = ["namespace/name-glob", ...]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import text

from lineage.review.config import ReviewConfigError
from lineage.review.context import ReviewContext

FLAG_KEYS = frozenset({"personal_data", "pii"})
TRUE_VALUES = frozenset({"true", "yes", "y", "1", "on"})
SENSITIVITY_KEY = "sensitivity"
SENSITIVE_VALUES = frozenset({"personal", "pii", "sensitive"})
CONFIG_KEYS = frozenset({"personal_data"})

# The LIKE only narrows the rows parsed in Python; the tag itself is judged on the parsed facet.
TAGGED = text(
    """
    SELECT d.id, d.namespace, d.name, d.facets FROM datasets d
    WHERE CAST(d.facets AS TEXT) LIKE '%"tags"%'
    UNION ALL
    SELECT d.id, d.namespace, d.name, v.facets
    FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
    WHERE v.created_at <= :until AND CAST(v.facets AS TEXT) LIKE '%"tags"%'
    """
)
ALL_NAMES = text("SELECT id, namespace, name FROM datasets")


def personal_datasets(ctx: ReviewContext) -> dict[int, str]:
    """Dataset id -> "namespace/name" of every dataset holding personal data."""
    globs = name_globs(ctx.section("sensitivity"))
    found: dict[int, str] = {}
    with ctx.store.engine.connect() as conn:
        for row in conn.execute(TAGGED, {"until": ctx.window.until}):
            if is_personal_facets(_as_dict(row.facets)):
                found[row.id] = f"{row.namespace}/{row.name}"
        if globs:
            for row in conn.execute(ALL_NAMES):
                name = f"{row.namespace}/{row.name}"
                if any(fnmatchcase(name, glob) for glob in globs):
                    found[row.id] = name
    return found


def name_globs(section: Mapping[str, Any]) -> tuple[str, ...]:
    """The `[sensitivity] personal_data` globs, checked."""
    unknown = sorted(set(section) - CONFIG_KEYS)
    if unknown:
        raise ReviewConfigError(f"sensitivity.{unknown[0]}: unknown key (known: personal_data)")
    globs = section.get("personal_data", [])
    if not isinstance(globs, list) or not all(isinstance(g, str) and g for g in globs):
        raise ReviewConfigError(
            'sensitivity.personal_data: expected a list of "namespace/name" globs'
        )
    return tuple(globs)


def is_personal_facets(facets: Mapping[str, Any]) -> bool:
    """True when a facets object carries a `tags` facet marking personal data."""
    tags = (facets.get("tags") or {}) if isinstance(facets, Mapping) else {}
    items = tags.get("tags") if isinstance(tags, Mapping) else None
    return isinstance(items, list) and any(_is_personal_tag(t) for t in _mappings(items))


def _is_personal_tag(tag: Mapping[str, Any]) -> bool:
    key = str(tag.get("key", "")).strip().lower()
    value = tag.get("value")
    word = str(value).strip().lower() if value is not None else ""
    if key in FLAG_KEYS:
        return value is True or word in TRUE_VALUES
    return key == SENSITIVITY_KEY and word in SENSITIVE_VALUES


def _mappings(items: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    return (item for item in items if isinstance(item, Mapping))


def _as_dict(value: Any) -> dict[str, Any]:
    # SQLite hands JSON columns back as text in raw SQL; psycopg parses them.
    parsed = json.loads(value) if isinstance(value, str) else value
    return parsed if isinstance(parsed, dict) else {}
