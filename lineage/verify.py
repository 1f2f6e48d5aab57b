"""Verify the log: the hash chain, the Merkle tree over it, and every signed tree head.

`verify_chain` re-hashes the chain and names the first entry that breaks it. `verify_log` does the
same in one pass that also rebuilds the Merkle tree from the entries' bytes (so an edited entry is
caught by the tree too) and compares every stored node, then holds each signed head against the
tree: only a head can reveal entries removed from the log's end. A clean log is checked by a fast
pass, a large one in two halves on two cores (lineage.merkle.parallel); anything else gets the
detailed pass that names the problems, with the same result.

Archived segments (lineage.retention) are bridged: the chain continues from each segment's
recorded boundary hashes, the tree from its stored leaves, and each segment's signature, leaves,
recording event and (when present) archive file are checked; their problems are chain problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine

from lineage.keys import KeyStore
from lineage.merkle.check import Snapshot, TreeReport, snapshot, tree_report
from lineage.merkle.check_heads import HeadsReport, check_heads
from lineage.merkle.check_segments import scan_with_segments
from lineage.merkle.heads import stored_heads, trusted_keys
from lineage.merkle.parallel import Half, parallel_minimum, scan_fast, scan_half
from lineage.merkle.scan import ChainReport, Problem, scan_log
from lineage.retention.segments import (
    StoredSegment,
    file_problems,
    file_state,
    segment_problems,
    stored_leaves,
    stored_segments,
)

__all__ = [
    "ChainReport",
    "IntegrityReport",
    "Problem",
    "log_size",
    "report_json",
    "verify_chain",
    "verify_log",
]


@dataclass
class ArchiveSummary:
    """Archived segments met on the way (their problems are in the chain report)."""

    segments: int = 0
    entries: int = 0
    files_checked: int = 0
    files_missing: list[str] = field(default_factory=list)


@dataclass
class IntegrityReport:
    chain: ChainReport
    tree: TreeReport
    heads: HeadsReport
    archive: ArchiveSummary = field(default_factory=ArchiveSummary)

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.tree.ok and self.heads.ok


def log_size(engine: Engine) -> int:
    """How many entries a full check would re-hash (archived ones aside): the last seq."""
    with engine.connect() as conn:
        return snapshot(conn).last_seq


def verify_chain(engine: Engine, *, stop_at_first: bool = False) -> ChainReport:
    """Re-hash every entry in order; collect where the chain breaks."""
    with engine.connect() as conn:
        segments = stored_segments(conn)
        if not segments:
            return scan_log(conn, stop_at_first=stop_at_first)
        # The chain only, bridged by the segments' recorded hashes; verify_log checks the rest.
        snap = replace(snapshot(conn), stored_nodes=0)
        return scan_with_segments(conn, snap, segments, _no_leaves, _no_checks).chain


def _no_leaves(first: int, end: int) -> list[bytes]:
    return []


def _no_checks(number: int, leaves: list[bytes]) -> list[Problem]:
    return []


def verify_log(
    engine: Engine,
    *,
    trusted: dict[str, Ed25519PublicKey] | None = None,
    keys: KeyStore | None = None,
    parallel_from: int | None = None,
) -> IntegrityReport:
    """Chain, tree and signed heads.

    Heads are checked under `trusted` public keys (by key id); by default the public half of the
    signing key in `keys` (default: MLAUDIT_KEYS_DIR), read only when there are heads to check.
    Logs of `parallel_from` entries or more (default: where it pays on the store's database,
    `lineage.merkle.parallel`) are scanned on two cores.
    """
    with engine.connect() as conn, conn.begin():
        snap = snapshot(conn)
        segments = stored_segments(conn)
        heads = stored_heads(conn, upto_id=snap.last_head_id)
        if (heads or segments) and trusted is None:
            trusted = trusted_keys(keys)
        archive = ArchiveSummary(len(segments), sum(s.count for s in segments))
        if segments:
            scanned = _scan_archived(conn, snap, segments, trusted or {}, archive)
        else:
            minimum = parallel_from if parallel_from is not None else parallel_minimum(engine)
            scanned = _scan(engine, conn, snap, minimum)
        covered = scanned.chain.entries + archive.entries  # the log's size, archived included
        tree = tree_report(conn, snap, scanned.tree, covered)
        heads_report = check_heads(
            conn, heads, log_size=covered, tree_size=snap.tree_size, trusted=trusted or {}
        )
    return IntegrityReport(scanned.chain, tree, heads_report, archive)


def _scan(engine: Engine, conn: Connection, snap: Snapshot, parallel_from: int) -> Half:
    """The fast pass (in two halves when large) when the log is clean; else the detailed pass,
    which names the problems."""
    return scan_fast(engine, conn, snap, parallel_from) or scan_half(
        conn, 1, snap.last_seq, snap.stored_nodes
    )


def _scan_archived(
    conn: Connection,
    snap: Snapshot,
    segments: list[StoredSegment],
    trusted: dict[str, Ed25519PublicKey],
    archive: ArchiveSummary,
) -> Half:
    """One pass bridging the archived segments (never in two halves: the cut would need them)."""

    def check(number: int, leaves: list[bytes]) -> list[Problem]:
        segment = segments[number]
        found = segment_problems(conn, segment, leaves, trusted)
        state = file_state(segment)
        if state is not None and state.startswith("missing"):
            archive.files_missing.append(segment.file_path)
            return found
        archive.files_checked += 1
        return found + file_problems(segment, state)

    return scan_with_segments(conn, snap, segments, partial(stored_leaves, conn), check)


def report_json(report: IntegrityReport) -> dict[str, Any]:
    """The machine report of `mlaudit verify --json`."""
    chain, tree, heads = report.chain, report.tree, report.heads
    problems: list[dict[str, Any]] = [
        {"check": "chain", "seq": p.seq, "kind": p.kind, "detail": p.detail} for p in chain.problems
    ]
    problems += [{"check": "tree", **vars(p)} for p in tree.problems]
    problems += [{"check": "heads", **vars(p)} for p in heads.problems]
    return {
        "ok": report.ok,
        "entries": chain.entries,
        "head_seq": chain.head_seq,
        "head_hash": chain.head_hash,
        "problems": problems,
        "chain": {"ok": chain.ok, "entries": chain.entries, "head_seq": chain.head_seq},
        "tree": {
            "ok": tree.ok,
            "size": tree.size,
            "root": tree.root.hex() if tree.root else None,
            "recomputed_root": tree.recomputed_root.hex(),
            "differing_nodes": tree.differing_nodes,
        },
        "archive": vars(report.archive),
        "heads": {
            "ok": heads.ok,
            "count": heads.count,
            "latest": heads.latest.to_json() if heads.latest else None,
            "latest_ok": heads.latest_ok,
        },
    }
