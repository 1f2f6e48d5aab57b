"""Archive files: a segment's log rows as JSON lines, and a manifest with its evidence.

`segment-<first>-<last>.jsonl` holds one JSON object per entry: every column of the stored row
(so the entry bytes the chain and the tree hashed are rebuilt exactly) and its categories.
`segment-<first>-<last>.manifest.json` holds the data file's SHA-256, the signed segment
statement, the signed tree head and the Merkle evidence tying the entries to that head.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage.errors import AuditError

MANIFEST_FORMAT = "mlaudit archive v1"
MANIFEST_SUFFIX = ".manifest.json"


class ArchiveFileError(AuditError):
    """An archive file that cannot be read as one."""


@dataclass(frozen=True)
class ArchiveFiles:
    manifest: dict[str, Any]
    rows: list[dict[str, Any]]
    data_sha256: str  # as read from disk, to compare with the manifest's


def stem(first_seq: int, end_seq: int) -> str:
    return f"segment-{first_seq:012d}-{end_seq - 1:012d}"


def write_data(folder: Path, name: str, rows: list[dict[str, Any]]) -> tuple[Path, str]:
    """Write the rows; return the file and its SHA-256 (hex)."""
    lines = [json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows]
    data = "".join(lines).encode("utf-8")
    path = folder / f"{name}.jsonl"
    _write_durably(path, data)
    return path, hashlib.sha256(data).hexdigest()


def write_manifest(folder: Path, name: str, manifest: dict[str, Any]) -> Path:
    path = folder / f"{name}{MANIFEST_SUFFIX}"
    text = json.dumps({"format": MANIFEST_FORMAT, **manifest}, indent=2, ensure_ascii=False)
    _write_durably(path, (text + "\n").encode("utf-8"))
    return path


def _write_durably(path: Path, data: bytes) -> None:
    """On disk before the log rows go: write aside, fsync, then rename into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spare = path.with_name(path.name + ".partial")
    with spare.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(spare, path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(path: Path) -> Path:
    """The manifest for a given manifest or data file."""
    if path.name.endswith(MANIFEST_SUFFIX):
        return path
    if path.suffix == ".jsonl":
        return path.with_name(path.name[: -len(".jsonl")] + MANIFEST_SUFFIX)
    raise ArchiveFileError(f"{path}: not an archive manifest (*{MANIFEST_SUFFIX}) or data file")


def read_archive(path: Path) -> ArchiveFiles:
    """The manifest and the rows of its data file (beside it)."""
    manifest_file = manifest_path(path)
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArchiveFileError(f"{manifest_file}: cannot read the manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ArchiveFileError(f"{manifest_file}: not a manifest of format {MANIFEST_FORMAT!r}")
    data_file = manifest_file.parent / str(manifest.get("data_file"))
    try:
        raw = data_file.read_bytes()
        rows = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line]
    except (OSError, ValueError) as exc:
        raise ArchiveFileError(f"{data_file}: cannot read the archived entries ({exc})") from None
    return ArchiveFiles(manifest, rows, hashlib.sha256(raw).hexdigest())
