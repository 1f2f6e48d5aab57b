"""What every review gets: the store, the period under review, and the review configuration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lineage.findings.draft import FindingDraft

if TYPE_CHECKING:
    from lineage.store import AuditStore


@dataclass(frozen=True)
class ReviewWindow:
    """The period under review, as store time text (ISO-8601 UTC, `...Z`). `since` None: all."""

    since: str | None
    until: str


@dataclass(frozen=True)
class ReviewContext:
    """`config` is the parsed review configuration (see lineage.review.config): each review
    reads its own section (`policies`, `anomalies`, `retention`, `integrity`, `completeness`,
    `report`) and falls back to its own defaults for keys that are absent."""

    store: AuditStore
    window: ReviewWindow
    now: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.config.get(name, {})
        return value if isinstance(value, Mapping) else {}


Review = Callable[[ReviewContext], list[FindingDraft]]
