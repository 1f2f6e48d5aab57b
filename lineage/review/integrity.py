"""The integrity review: hash chain, Merkle tree, signed heads; a clean log gets a new signed head.

Every failure is a critical finding naming the first bad entry (or node, or head) and what is
wrong. Subjects are stable (`log:chain@<seq>`, `log:tree@<where>`, `log:head#<id>`), so a failure
that persists across review runs stays one finding whose occurrences grow.

Configuration, table `[integrity]`: `sign_head` (bool, default true) signs a head after a clean
check; `max_listed` (int, default 20) bounds the problems listed in a finding's evidence.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from lineage.errors import IntegrityError
from lineage.findings.draft import FindingDraft
from lineage.merkle.check_heads import HeadProblem
from lineage.merkle.heads import SignedHead, sign_head, stored_heads
from lineage.merkle.proofs import ProofError, consistency_proof
from lineage.merkle.verifier import InvalidProof, check_consistency
from lineage.review.config import ReviewConfigError
from lineage.review.context import ReviewContext
from lineage.verify import IntegrityReport, report_json, verify_log

SECTION = "integrity"
DEFAULTS: dict[str, Any] = {"sign_head": True, "max_listed": 20}


@dataclass(frozen=True)
class IntegrityOutcome:
    """What one review run found, the verify report it read, and the head it signed (if any)."""

    findings: list[FindingDraft]
    verified: dict[str, Any]
    signed: SignedHead | None

    def evidence(self) -> dict[str, Any]:
        """The review's own evidence: the verify summary and the new head's size and root."""
        head = self.signed
        return {
            "ok": self.verified["ok"],
            "entries": self.verified["entries"],
            "problems": len(self.verified["problems"]),
            "signed_head": None
            if head is None
            else {
                "id": head.id,
                "tree_size": head.tree_size,
                "root_hash": head.root_hash,
                "timestamp": head.timestamp,
                "key_id": head.key_id,
            },
        }


def integrity_settings(ctx: ReviewContext) -> dict[str, Any]:
    """The `[integrity]` table over the defaults; an unknown key or a wrong type is an error."""
    section: Mapping[str, Any] = ctx.section(SECTION)
    for key, value in section.items():
        if key not in DEFAULTS:
            raise ReviewConfigError(
                f"[integrity] {key}: unknown key (known: sign_head, max_listed)"
            )
        if type(value) is not type(DEFAULTS[key]):
            expected = type(DEFAULTS[key]).__name__
            raise ReviewConfigError(f"[integrity] {key}: expected {expected}, got {value!r}")
    if section.get("max_listed", 1) < 1:
        raise ReviewConfigError("[integrity] max_listed: must be at least 1")
    return {**DEFAULTS, **section}


def run_integrity_review(ctx: ReviewContext) -> IntegrityOutcome:
    """Verify everything; on a clean log sign a new head (unless configured off)."""
    settings = integrity_settings(ctx)
    report = verify_log(ctx.store.engine, keys=ctx.store.keys)
    with ctx.store.engine.connect() as conn:
        pairs = consecutive_head_problems(conn, stored_heads(conn))
    limit = settings["max_listed"]
    findings = [
        *_chain_findings(report, ctx.now, limit),
        *_tree_findings(report, ctx.now, limit),
        *_head_findings([*report.heads.problems, *pairs], ctx.now),
    ]
    signed = None
    if not findings and settings["sign_head"]:
        signed = sign_head(ctx.store, keys=ctx.store.keys)
    return IntegrityOutcome(findings, report_json(report), signed)


def review_integrity(ctx: ReviewContext) -> list[FindingDraft]:
    """The review as the runner calls it (see `run_integrity_review` for its evidence)."""
    return run_integrity_review(ctx).findings


def consecutive_head_problems(conn: Connection, heads: list[SignedHead]) -> list[HeadProblem]:
    """Each head against the one before it, by their own roots: a later head must extend it."""
    problems = []
    for old, new in itertools.pairwise(heads):
        if new.tree_size < old.tree_size:
            detail = (
                f"{new.label()} covers fewer entries than {old.label()}: the log was truncated "
                "between them"
            )
            problems.append(HeadProblem(new.id, "shrunk", detail))
            continue
        problem = _pair_problem(conn, old, new)
        if problem:
            problems.append(HeadProblem(new.id, "inconsistent-pair", problem))
    return problems


def _pair_problem(conn: Connection, old: SignedHead, new: SignedHead) -> str | None:
    if old.tree_size == 0:
        return None
    try:
        proof = consistency_proof(conn, old.tree_size, new.tree_size).proof
        check_consistency(
            old.tree_size,
            new.tree_size,
            proof,
            bytes.fromhex(old.root_hash),
            bytes.fromhex(new.root_hash),
        )
    except ProofError:
        return None  # the head reaches past the tree: verify reports it as truncation
    except (InvalidProof, IntegrityError, ValueError) as exc:
        return f"{new.label()} is not consistent with the previous {old.label()}: {exc}"
    return None


def _chain_findings(report: IntegrityReport, now: str, limit: int) -> list[FindingDraft]:
    problems = report.chain.problems
    if not problems:
        return []
    first = problems[0]
    more = f" ({len(problems) - 1} more problems after it)" if len(problems) > 1 else ""
    return [
        _draft(
            "integrity.chain",
            f"log:chain@{first.seq}",
            f"Hash chain broken at entry seq {first.seq}: {first.kind}",
            f"Re-hashing the log, entry seq {first.seq} does not chain: {first.detail}{more}. "
            "Entries from here on cannot be trusted until the cause is explained.",
            {
                "first_bad_seq": first.seq,
                "kind": first.kind,
                "count": len(problems),
                "problems": [vars(p) for p in problems[:limit]],
            },
            now,
        )
    ]


def _tree_findings(report: IntegrityReport, now: str, limit: int) -> list[FindingDraft]:
    problems = report.tree.problems
    if not problems:
        return []
    first = problems[0]
    if first.seq is not None:
        where = f"seq {first.seq}"
    elif first.level is not None:
        where = f"level {first.level} index {first.index}"
    else:
        where = first.kind
    more = f" ({len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return [
        _draft(
            "integrity.tree",
            f"log:tree@{where}",
            f"Merkle tree does not match the log at {where}: {first.kind}",
            f"Rebuilding the Merkle tree from the entries' bytes: {first.detail}{more}.",
            {
                "first_bad_seq": first.seq,
                "kind": first.kind,
                "count": len(problems),
                "differing_nodes": report.tree.differing_nodes,
                "problems": [vars(p) for p in problems[:limit]],
            },
            now,
        )
    ]


def _head_findings(problems: list[HeadProblem], now: str) -> list[FindingDraft]:
    return [
        _draft(
            "integrity.heads",
            f"log:head#{p.head_id}",
            f"Signed tree head #{p.head_id}: {p.kind}",
            f"Checking the signed tree heads: {p.detail}.",
            {"head_id": p.head_id, "kind": p.kind},
            now,
            dedupe=p.kind,
        )
        for p in problems
    ]


def _draft(
    rule: str,
    subject: str,
    title: str,
    explanation: str,
    evidence: dict[str, Any],
    now: str,
    dedupe: str = "",
) -> FindingDraft:
    return FindingDraft(
        kind="integrity",
        rule=rule,
        severity="critical",
        subject=subject,
        title=title,
        explanation=explanation,
        evidence=evidence,
        occurred_at=now,
        dedupe=dedupe,
    )
