"""The retention review: what is due for archiving, what legal holds keep, which archives are gone.

Rules: `retention.due` (low) when entries have outlived their retention and await `mlaudit
retention archive`; `retention.hold_blocking` (info), one per hold that keeps expired entries;
`retention.archive_missing` (high), one per archived segment whose archive file is gone or no
longer holds the segment: the log rows are deleted, so that file is the only copy of the entries.
"""

from __future__ import annotations

from collections import Counter

from lineage.findings.draft import FindingDraft
from lineage.retention.due import DuePlan, plan_due
from lineage.retention.holds import Hold, list_holds
from lineage.retention.policy import parse_policy
from lineage.retention.segments import StoredSegment, file_state, stored_segments
from lineage.review.context import ReviewContext

KIND = "retention"
SHOWN_SEGMENTS = 20


def review_retention(ctx: ReviewContext) -> list[FindingDraft]:
    policy = parse_policy(ctx.section("retention"))
    with ctx.store.engine.connect() as conn, conn.begin():
        holds = list_holds(conn)
        plan = plan_due(conn, policy, ctx.now, holds)
        segments = stored_segments(conn)
    findings = _due(plan)
    findings += [_blocking(h, plan.held[h.id]) for h in holds if plan.held.get(h.id)]
    for segment in segments:
        state = file_state(segment)
        if state is not None:
            findings.append(_missing(segment, state))
    return findings


def _due(plan: DuePlan) -> list[FindingDraft]:
    if not plan.segments:
        return []
    count = plan.due_entries
    oldest = min(s.oldest for s in plan.segments)
    categories: Counter[str] = Counter()
    for segment in plan.segments:
        categories.update(segment.categories)
    return [
        FindingDraft(
            kind=KIND,
            rule="retention.due",
            severity="low",
            subject="log:retention",
            title=f"{count} log entries are past retention and await archiving",
            explanation=(
                f"{count} entries in {len(plan.segments)} segment(s), the oldest from {oldest}, "
                "have outlived the retention of every category they belong to and no legal hold "
                "keeps them. `mlaudit retention archive` writes them to signed archive files and "
                "removes them from the live log."
            ),
            evidence={
                "count": count,
                "oldest": oldest,
                "categories": dict(sorted(categories.items())),
                "segments": [s.to_json() for s in plan.segments[:SHOWN_SEGMENTS]],
            },
            occurred_at=oldest,
        )
    ]


def _blocking(hold: Hold, seqs: list[int]) -> FindingDraft:
    return FindingDraft(
        kind=KIND,
        rule="retention.hold_blocking",
        severity="info",
        subject=f"legal_hold:{hold.id}",
        title=f"legal hold {hold.id} keeps {len(seqs)} expired log entries",
        explanation=(
            f"Legal hold {hold.id} (placed {hold.placed_at}: {hold.reason}) matches {len(seqs)} "
            "entries whose retention has ended; they stay in the live log until it is released."
        ),
        evidence={
            "hold": hold.id,
            "count": len(seqs),
            "first_seq": seqs[0],
            "last_seq": seqs[-1],
            "criteria": {**hold.describe(), "subject": hold.subject},
        },
        occurred_at=hold.placed_at,
    )


def _missing(segment: StoredSegment, state: str) -> FindingDraft:
    span = f"{segment.first_seq}..{segment.end_seq - 1}"
    return FindingDraft(
        kind=KIND,
        rule="retention.archive_missing",
        severity="high",
        subject=f"archive:{span}",
        title=f"the archive of log entries {span} is missing or altered",
        explanation=(
            f"Entries {span} were archived at {segment.statement.archived_at} and removed from "
            f"the log; their archive file is the only copy. {state}. Restore the file (and its "
            "manifest) from backup; `mlaudit retention verify-archive` checks it."
        ),
        evidence={
            "first_seq": segment.first_seq,
            "end_seq": segment.end_seq,
            "file": segment.file_path,
            "file_sha256": segment.statement.file_sha256,
            "problem": state,
        },
        occurred_at=segment.statement.archived_at,
    )
