"""Check an archive with no database: `mlaudit retention verify-archive FILE`.

Every step is reported, passed or failed: the data file against the manifest's SHA-256, the
segment statement's signature, the signed tree head's signature, the entries' hash chain from the
statement's boundary hashes, their leaves against the statement, and the root of the signed head
recomputed from those leaves and the manifest's Merkle evidence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lineage.chain import chain_hash
from lineage.keys import public_key_id
from lineage.merkle.entries import stored_entry_bytes
from lineage.merkle.hashing import leaf_hash
from lineage.merkle.heads import HeadFormatError, SignedHead, public_key_from_hex, signature_ok
from lineage.merkle.offline import Step
from lineage.retention.archive_file import ArchiveFileError, read_archive
from lineage.retention.evidence import leaves_root, root_with_segment
from lineage.retention.statement import SegmentStatement, StatementError, statement_signed


def check_archive(path: Path, public_key: str | None = None) -> list[Step]:
    try:
        files = read_archive(path)
        manifest = files.manifest
        statement = SegmentStatement.from_json(manifest["statement"])
        head = SignedHead.from_json(manifest["head"])
        steps = [_file_step(files.data_sha256, manifest, statement)]
        steps += _signature_steps(manifest, statement, head, public_key)
        row_steps, leaves = check_rows(files.rows, statement)
        steps += row_steps
        if leaves is not None:
            steps.append(_root_step(manifest, statement, head, leaves))
    except (ArchiveFileError, StatementError, HeadFormatError) as exc:
        return [Step(False, str(exc))]
    except (KeyError, TypeError, ValueError) as exc:
        return [Step(False, f"malformed archive manifest: {exc!r}")]
    return steps


def check_rows(
    rows: list[dict[str, Any]], statement: SegmentStatement
) -> tuple[list[Step], list[bytes] | None]:
    """The archived rows re-hashed: their chain from the statement's boundary, and their leaves.

    Returns the leaf hashes when every row is intact, else None.
    """
    try:
        first, end = statement.first_seq, statement.end_seq
        leaves, last = rehash_rows(rows, first, end, statement.prev_hash)
    except ValueError as exc:
        return [Step(False, str(exc))], None
    steps = [Step(True, f"{len(rows)} entries re-hashed: the chain runs from the boundary hash")]
    if last != statement.last_hash:
        return [*steps, Step(False, "the last entry's hash is not the statement's")], None
    if leaves_root(leaves).hex() != statement.leaves_root:
        return [*steps, Step(False, "the entries' leaves do not hash to the statement's")], None
    steps.append(Step(True, "the entries' Merkle leaves hash to the statement's leaves root"))
    return steps, leaves


def rehash_rows(
    rows: list[dict[str, Any]], first_seq: int, end_seq: int, prev: str
) -> tuple[list[bytes], str]:
    """(leaf hashes, last entry hash) of rows first_seq .. end_seq - 1 chained from `prev`.

    Raises ValueError naming the first row that is missing, out of place or altered.
    """
    if [row.get("seq") for row in rows] != list(range(first_seq, end_seq)):
        raise ValueError(f"the rows are not exactly entries {first_seq}..{end_seq - 1} in order")
    leaves = []
    for row in rows:
        data = stored_entry_bytes(*(row[c] for c in _BYTES_COLUMNS))
        if row["prev_hash"] != prev or chain_hash(prev, data) != row["entry_hash"]:
            raise ValueError(f"entry seq {row['seq']} breaks the hash chain")
        prev = row["entry_hash"]
        leaves.append(leaf_hash(data))
    return leaves, prev


_BYTES_COLUMNS = ("seq", "key", "received_at", "submitter", "normalizations", "payload")


def _file_step(actual: str, manifest: dict[str, Any], statement: SegmentStatement) -> Step:
    if actual != manifest["data_sha256"] or actual != statement.file_sha256:
        return Step(False, f"the data file's SHA-256 {actual[:16]}… is not the manifest's")
    return Step(True, f"the data file's SHA-256 {actual[:16]}… is the manifest's")


def _signature_steps(
    manifest: dict[str, Any],
    statement: SegmentStatement,
    head: SignedHead,
    public_key: str | None,
) -> list[Step]:
    if public_key is not None:
        key, whose = public_key_from_hex(public_key), "the pinned key"
    else:
        key, whose = public_key_from_hex(manifest["public_key"]), "the key in the manifest"
        whose += " (not pinned)"
        if public_key_id(key) != statement.key_id:
            return [Step(False, "the manifest's public key does not match the statement's key id")]
    signed = statement_signed(statement, manifest["signature"], key)
    head_ok = signature_ok(head, key)
    return [
        Step(
            signed, f"segment statement signature {'verifies' if signed else 'FAILS'} under {whose}"
        ),
        Step(head_ok, f"{head.label()}: signature {'verifies' if head_ok else 'FAILS'}"),
    ]


def _root_step(
    manifest: dict[str, Any], statement: SegmentStatement, head: SignedHead, leaves: list[bytes]
) -> Step:
    if (head.tree_size, head.root_hash) != (statement.head_size, statement.head_root):
        return Step(False, f"{head.label()} is not the head the statement names")
    known = {(e["level"], e["index"]): bytes.fromhex(e["hash"]) for e in manifest["evidence"]}
    first, end = statement.first_seq - 1, statement.end_seq - 1
    try:
        root = root_with_segment(head.tree_size, first, end, leaves, known)
    except KeyError as exc:
        return Step(False, f"the Merkle evidence lacks node (level, index) {exc.args[0]}")
    if root.hex() != head.root_hash:
        return Step(False, f"the entries and the evidence do not lead to {head.label()}'s root")
    return Step(
        True,
        f"entries {statement.first_seq}..{statement.end_seq - 1} are leaves of {head.label()}",
    )
