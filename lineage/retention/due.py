"""What retention asks for now: expired entries, grouped into archivable segments, and the
entries legal holds keep.

A segment is a maximal run of consecutive seqs whose entries have all outlived the retention of
every category they belong to and that no active hold matches. The log's last entry is never in
a segment: the next append numbers and chains from it, and it carries the chain past the segment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from lineage.models import EntryCategory, LogEntry
from lineage.retention.holds import EntryFacts, Hold
from lineage.retention.policy import RetentionPolicy

PAGE = 5000
# A segment is read whole into memory and written as one file: bound both. Longer runs of due
# entries become several adjacent segments, each chaining from the one before.
MAX_SEGMENT_ENTRIES = 50_000


@dataclass(frozen=True)
class Segment:
    first_seq: int
    end_seq: int  # exclusive
    oldest: str
    categories: dict[str, int]

    @property
    def count(self) -> int:
        return self.end_seq - self.first_seq

    def to_json(self) -> dict[str, object]:
        return {
            "first_seq": self.first_seq,
            "end_seq": self.end_seq,
            "entries": self.count,
            "oldest": self.oldest,
            "categories": self.categories,
        }


@dataclass
class DuePlan:
    segments: list[Segment] = field(default_factory=list)
    held: dict[int, list[int]] = field(default_factory=dict)  # hold id -> expired seqs it keeps

    @property
    def due_entries(self) -> int:
        return sum(s.count for s in self.segments)


def plan_due(conn: Connection, policy: RetentionPolicy, now: str, holds: list[Hold]) -> DuePlan:
    """Read the expired candidates once, in seq order, and cut them into segments."""
    cutoffs = policy.cutoffs(now)
    default = policy.default_cutoff(now)
    last_seq = conn.execute(select(func.max(LogEntry.seq))).scalar() or 0
    plan, run = DuePlan(), _Run()
    for facts in _candidates(conn, policy.loosest_cutoff(now), bool(holds), last_seq):
        cutoff = min((cutoffs.get(c, default) for c in facts.categories), default=default)
        if facts.event_time >= cutoff:
            run.close(plan)
            continue
        holding = [h.id for h in holds if h.matches(facts)]
        for hold_id in holding:
            plan.held.setdefault(hold_id, []).append(facts.seq)
        if holding:
            run.close(plan)
        else:
            run.add(facts, plan)
    run.close(plan)
    return plan


class _Run:
    """The segment being collected; a gap in seqs (an archived range) or a kept entry ends it."""

    def __init__(self) -> None:
        self.facts: list[EntryFacts] = []

    def add(self, facts: EntryFacts, plan: DuePlan) -> None:
        if self.facts and (
            facts.seq != self.facts[-1].seq + 1 or len(self.facts) >= MAX_SEGMENT_ENTRIES
        ):
            self.close(plan)
        self.facts.append(facts)

    def close(self, plan: DuePlan) -> None:
        if self.facts:
            counts = Counter(c for f in self.facts for c in f.categories)
            oldest = min(f.event_time for f in self.facts)
            first, end = self.facts[0].seq, self.facts[-1].seq + 1
            plan.segments.append(Segment(first, end, oldest, dict(sorted(counts.items()))))
        self.facts = []


def _candidates(
    conn: Connection, cutoff: str, with_payload: bool, last_seq: int
) -> Iterator[EntryFacts]:
    """Entries older than the loosest cutoff (never the log's last), in seq order.

    The entries this skips are not expired (or are archived already): the gap they leave in
    the seqs ends a segment, so segments stay contiguous.
    """
    after = 0
    columns = [LogEntry.seq, LogEntry.event_time, LogEntry.actor, LogEntry.submitter]
    if with_payload:
        columns.append(LogEntry.payload)
    while True:
        rows = conn.execute(
            select(*columns)
            .where(LogEntry.seq > after, LogEntry.seq < last_seq, LogEntry.event_time < cutoff)
            .order_by(LogEntry.seq)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        categories = _categories(conn, rows[0][0], rows[-1][0])
        for row in rows:
            payload = row[4] if with_payload else None
            cats = frozenset(categories.get(row[0], ()))
            yield EntryFacts(row[0], row[1], cats, row[2], row[3], payload)
        after = rows[-1][0]


def _categories(conn: Connection, first: int, last: int) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    query = select(EntryCategory.seq, EntryCategory.category).where(
        EntryCategory.seq >= first, EntryCategory.seq <= last
    )
    for seq, category in conn.execute(query):
        found.setdefault(seq, []).append(category)
    return found
