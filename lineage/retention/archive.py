"""Archive what retention has made due: file first, then the signed record, then the deletion.

For each segment: sign a tree head covering it (once per run), read its rows and the Merkle
evidence, refuse unless the rows re-hash to the chain and to that head, write the data file and
the manifest (fsynced), record the archiving in the log, and in one writer transaction check
that no hold placed meanwhile matches, insert the signed `archived_segments` row and delete the
rows. Projections are rebuilt from the remaining log afterwards (see docs/RETENTION.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, delete, func, insert, select

from lineage.accounts.actions import record_user_action
from lineage.authz import MAINTAIN, Principal, authorize
from lineage.category_hours import remove_span
from lineage.db import writer_transaction
from lineage.errors import AuditError
from lineage.merkle.heads import SignedHead, public_key_hex, sign_head
from lineage.merkle.layout import Node
from lineage.merkle.tree import read_nodes, require
from lineage.models import EntryCategory, LogEntry
from lineage.rebuild import rebuild_projections
from lineage.retention.archive_file import stem, write_data, write_manifest
from lineage.retention.due import DuePlan, Segment, plan_due
from lineage.retention.evidence import evidence_nodes, leaves_root
from lineage.retention.holds import EntryFacts, list_holds
from lineage.retention.offline import check_archive, rehash_rows
from lineage.retention.policy import RetentionPolicy
from lineage.retention.segment_rows import predecessor_hash, segment_rows
from lineage.retention.segments import SEGMENTS
from lineage.retention.statement import SegmentStatement, sign_statement
from lineage.timeutil import now_store_time

if TYPE_CHECKING:
    from lineage.store import AuditStore


class ArchiveRefused(AuditError):
    """A segment that must not be archived (the log is not intact, or a hold now covers it)."""


@dataclass(frozen=True)
class Archived:
    segment: Segment
    data_file: Path
    manifest: Path
    event_seq: int


@dataclass
class ArchiveOutcome:
    plan: DuePlan
    folder: Path
    archived: list[Archived] = field(default_factory=list)


def archive_folder(store: AuditStore, policy: RetentionPolicy, out: Path | None) -> Path:
    return (out or policy.archive_dir or store.settings.home / "archive").resolve()


def archive_due(
    store: AuditStore,
    principal: Principal,
    policy: RetentionPolicy,
    *,
    now: str | None = None,
    out: Path | None = None,
    dry_run: bool = False,
) -> ArchiveOutcome:
    """Archive every due segment (or, with dry_run, only say which)."""
    authorize(principal, MAINTAIN)
    with store.engine.connect() as conn, conn.begin():
        plan = plan_due(conn, policy, now or now_store_time(), list_holds(conn))
    outcome = ArchiveOutcome(plan, archive_folder(store, policy, out))
    if dry_run or not plan.segments:
        return outcome
    head = sign_head(store)
    key_id, private = store.keys.signing_key()
    try:
        for segment in plan.segments:
            outcome.archived.append(
                _archive(store, principal, segment, head, (key_id, private), outcome.folder)
            )
    finally:  # a segment refused half way leaves the ones before it archived: rebuild for them
        if outcome.archived:
            rebuild_projections(store.engine)
    return outcome


def _archive(
    store: AuditStore,
    principal: Principal,
    segment: Segment,
    head: SignedHead,
    key: tuple[str, Ed25519PrivateKey],
    folder: Path,
) -> Archived:
    first, end = segment.first_seq, segment.end_seq
    with store.engine.connect() as conn, conn.begin():
        rows = segment_rows(conn, first, end)
        prev = predecessor_hash(conn, first)
        nodes = evidence_nodes(first - 1, end - 1, head.tree_size)
        evidence = dict(zip(nodes, require(read_nodes(conn, nodes), nodes), strict=True))
    try:  # an altered or misplaced row is never archived: that would launder the change
        leaves, last = rehash_rows(rows, first, end, prev)
    except ValueError as exc:
        raise ArchiveRefused(f"refusing to archive: {exc}; run `mlaudit verify`") from None
    name = stem(first, end)
    data_file, digest = write_data(folder, name, rows)
    statement = SegmentStatement(
        first,
        end,
        prev,
        last,
        leaves_root(leaves).hex(),
        head.tree_size,
        head.root_hash,
        digest,
        now_store_time(),
        key[0],
    )
    signature = sign_statement(statement, key[1])
    manifest = write_manifest(
        folder, name, _manifest(data_file, statement, signature, key[1], head, evidence)
    )
    _check_against_head(manifest)
    target = {"kind": "log", "name": f"seqs {first}..{end - 1}"}
    details = {"statement": statement.to_json(), "signature": signature, "file": str(data_file)}
    event_seq = record_user_action(store, principal, "retention.archive", target, details=details)
    row = {**vars(statement), "signature": signature, "file_path": str(data_file)}
    _purge(store, rows, {**row, "event_seq": event_seq})
    return Archived(segment, data_file, manifest, event_seq)


def _manifest(
    data_file: Path,
    statement: SegmentStatement,
    signature: str,
    key: Ed25519PrivateKey,
    head: SignedHead,
    evidence: dict[Node, bytes],
) -> dict[str, Any]:
    return {
        "data_file": data_file.name,
        "data_sha256": statement.file_sha256,
        "statement": statement.to_json(),
        "signature": signature,
        "public_key": public_key_hex(key.public_key()),
        "head": head.to_json(),
        "evidence": [{"level": n[0], "index": n[1], "hash": h.hex()} for n, h in evidence.items()],
    }


def _purge(store: AuditStore, rows: list[dict[str, Any]], segment_row: dict[str, Any]) -> None:
    """Record the segment and delete its rows, in one writer transaction: the log's guard lets
    these deletes through only because the segment row is there."""
    first, end = segment_row["first_seq"], segment_row["end_seq"]
    with writer_transaction(store.engine) as conn:
        _require_unchanged(conn, first, end, segment_row["last_hash"])
        _require_unheld(conn, rows)
        conn.execute(insert(SEGMENTS).values(**segment_row))
        remove_span(conn, first, end)
        span = (EntryCategory.seq >= first, EntryCategory.seq < end)
        conn.execute(delete(EntryCategory.__table__).where(*span))
        conn.execute(delete(LogEntry.__table__).where(LogEntry.seq >= first, LogEntry.seq < end))


def _check_against_head(manifest: Path) -> None:
    """The manifest as an auditor will check it: the stored tree must agree with the head."""
    failed = [s.what for s in check_archive(manifest) if not s.ok]
    if failed:
        raise ArchiveRefused(f"refusing to archive: {failed[0]}; run `mlaudit verify`")


def _require_unchanged(conn: Connection, first: int, end: int, last_hash: str) -> None:
    count = conn.execute(
        select(func.count()).where(LogEntry.seq >= first, LogEntry.seq < end)
    ).scalar_one()
    last = conn.execute(select(LogEntry.entry_hash).where(LogEntry.seq == end - 1)).scalar()
    if count != end - first or last != last_hash:
        raise ArchiveRefused(f"entries {first}..{end - 1} changed while being archived")


def _require_unheld(conn: Connection, rows: list[dict[str, Any]]) -> None:
    holds = list_holds(conn)
    for row in rows:
        facts = EntryFacts(
            row["seq"],
            row["event_time"],
            frozenset(row["categories"]),
            row["actor"],
            row["submitter"],
            row["payload"],
        )
        held = [h.id for h in holds if h.matches(facts)]
        if held:
            seq = row["seq"]
            raise ArchiveRefused(f"entry {seq} came under legal hold {held[0]}: not archived")
