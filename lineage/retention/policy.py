"""The retention policy: days to keep each category of log entry, from `[retention]` in
review.toml. An entry in several categories is kept as long as its longest-kept category."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from lineage.categories import CATEGORIES
from lineage.review.config import ReviewConfigError
from lineage.timeutil import parse_time, to_store_time

DEFAULT_DAYS = 2555  # seven years: a common floor for financial and model-risk records
KEYS = ("default_days", "categories", "archive_dir")


@dataclass(frozen=True)
class RetentionPolicy:
    default_days: int = DEFAULT_DAYS
    categories: Mapping[str, int] = field(default_factory=dict)
    archive_dir: Path | None = None

    def days(self, category: str) -> int:
        return self.categories.get(category, self.default_days)

    def cutoffs(self, now: str) -> dict[str, str]:
        """Per category: entries whose event time is before this have outlived their retention."""
        moment = parse_time(now)
        return {c: to_store_time(moment - timedelta(days=self.days(c))) for c in CATEGORIES}

    def default_cutoff(self, now: str) -> str:
        """For entries of a category the policy does not name."""
        return to_store_time(parse_time(now) - timedelta(days=self.default_days))

    def loosest_cutoff(self, now: str) -> str:
        """No entry with an event time at or after this can be due, whatever its categories."""
        return max([*self.cutoffs(now).values(), self.default_cutoff(now)])


def parse_policy(section: Mapping[str, Any]) -> RetentionPolicy:
    """The `[retention]` table; an unknown key, category or a bad number is named."""
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ReviewConfigError(
            f"[retention]: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(KEYS)}"
        )
    default = _days("retention.default_days", section.get("default_days", DEFAULT_DAYS))
    table = section.get("categories", {})
    if not isinstance(table, Mapping):
        raise ReviewConfigError("retention.categories must be a table of category = days")
    categories: dict[str, int] = {}
    for name, value in table.items():
        if name not in CATEGORIES:
            raise ReviewConfigError(
                f"retention.categories.{name}: unknown category; known: {', '.join(CATEGORIES)}"
            )
        categories[name] = _days(f"retention.categories.{name}", value)
    folder = section.get("archive_dir")
    if folder is not None and (not isinstance(folder, str) or not folder.strip()):
        raise ReviewConfigError("retention.archive_dir must be a non-empty path string")
    return RetentionPolicy(default, categories, Path(folder).expanduser() if folder else None)


def _days(key: str, value: Any) -> int:
    if type(value) is not int or value < 1:
        raise ReviewConfigError(f"{key} must be a whole number of days >= 1, got {value!r}")
    return value
