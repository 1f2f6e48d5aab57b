"""What an ingest call reports back, item by item."""

from __future__ import annotations

from dataclasses import dataclass, field

from lineage.validation import Violation


@dataclass(frozen=True)
class Accepted:
    index: int
    seq: int
    key: str
    duplicate: bool


@dataclass(frozen=True)
class Rejected:
    index: int
    violations: list[Violation]


@dataclass
class IngestResult:
    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return sum(1 for a in self.accepted if not a.duplicate)

    @property
    def duplicates(self) -> int:
        return sum(1 for a in self.accepted if a.duplicate)
