"""A finding as a review produces it, before the store deduplicates and records it.

Every review (integrity, completeness, policies, anomalies, retention) returns `FindingDraft`s;
only `lineage.findings` writes them. The fingerprint decides identity across review runs: the same
rule firing on the same subject is one finding whose `last_seen` and `occurrences` move on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

KINDS = ("integrity", "completeness", "policy", "anomaly", "retention")
SEVERITIES = ("critical", "high", "medium", "low", "info")


@dataclass(frozen=True)
class FindingDraft:
    """One thing a review noticed.

    kind: one of KINDS. rule: a stable dotted name, e.g. "policy.deployed_without_evaluation"
    or "anomaly.access_volume". subject: what it is about, stable across runs, e.g.
    "model:demo/breast_cancer_model@<version>", "actor:psn:k1:<hex>", "run:<dagster run id>".
    title: one line. explanation: why it fired, in words an auditor reads first (the rule, the
    baseline and the observed value). evidence: machine-readable detail (baseline, observed,
    log seqs, run ids, dataset names). occurred_at: store time text of the behaviour, if known.
    dedupe: extra identity beyond (rule, subject), e.g. the day of an off-hours access.
    """

    kind: str
    rule: str
    severity: str
    subject: str
    title: str
    explanation: str
    evidence: dict[str, Any] = field(default_factory=dict)
    occurred_at: str | None = None
    dedupe: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"finding kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"finding severity {self.severity!r} is not one of {', '.join(SEVERITIES)}"
            )
        if not self.rule or not self.subject:
            raise ValueError("a finding needs a rule and a subject")

    @property
    def fingerprint(self) -> str:
        """Identity across review runs: sha256 of kind, rule, subject and dedupe (hex)."""
        text = "\x1f".join((self.kind, self.rule, self.subject, self.dedupe))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
