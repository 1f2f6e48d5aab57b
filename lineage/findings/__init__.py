"""Findings: what the periodic reviews found, stored, deduplicated and triaged.

Reviews return `FindingDraft`s; `record_findings` stores them (one finding per fingerprint),
`change_status` triages them, and the queries read them. Each open, reopen, acknowledge and
resolve is an audit event (see lineage.findings.transitions for how that stays crash-safe).
"""

from lineage.findings.draft import KINDS, SEVERITIES, FindingDraft
from lineage.findings.errors import FindingConflict, FindingError, FindingNotFound
from lineage.findings.queries import (
    check_filters,
    finding_counts,
    finding_history,
    get_finding,
    list_findings,
)
from lineage.findings.record import record_findings
from lineage.findings.triage import change_status
from lineage.findings.views import (
    STATUSES,
    UNRESOLVED,
    FindingCounts,
    FindingView,
    RecordOutcome,
    StatusChange,
)

__all__ = [
    "KINDS",
    "SEVERITIES",
    "STATUSES",
    "UNRESOLVED",
    "FindingConflict",
    "FindingCounts",
    "FindingDraft",
    "FindingError",
    "FindingNotFound",
    "FindingView",
    "RecordOutcome",
    "StatusChange",
    "change_status",
    "check_filters",
    "finding_counts",
    "finding_history",
    "get_finding",
    "list_findings",
    "record_findings",
]
