"""The signed statement of an archived segment: which entries left the log, and what they were.

Signed with the store's Ed25519 key (the one that signs tree heads, kept outside the database),
over a fixed ASCII text, so a row of `archived_segments` cannot be edited or forged by someone
who can write to the database but does not hold the key. The archive manifest carries the same
statement and signature for offline checks.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lineage.errors import AuditError

FORMAT = "mlaudit archived segment v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_KEY_ID = re.compile(r"[0-9a-f]{1,64}")


class StatementError(AuditError):
    """A segment statement whose fields do not spell one canonical text."""


@dataclass(frozen=True)
class SegmentStatement:
    first_seq: int
    end_seq: int  # exclusive
    prev_hash: str  # entry_hash before first_seq
    last_hash: str  # entry_hash of end_seq - 1
    leaves_root: str  # RFC 6962 hash of the segment's leaves as a list of their own
    head_size: int  # the signed tree head the segment is proven against
    head_root: str
    file_sha256: str  # the archive's data file
    archived_at: str
    key_id: str

    def message(self) -> bytes:
        ints = (("first seq", self.first_seq), ("end seq", self.end_seq))
        ints += (("head size", self.head_size),)
        for name, value in ints:
            if type(value) is not int or value < 1:
                raise StatementError(f"{name} must be a positive integer, got {value!r}")
        if not self.first_seq < self.end_seq <= self.head_size:
            raise StatementError("need first seq < end seq <= head size")
        for name, pattern in (
            ("prev_hash", _HEX64),
            ("last_hash", _HEX64),
            ("leaves_root", _HEX64),
            ("head_root", _HEX64),
            ("file_sha256", _HEX64),
            ("archived_at", _TIME),
            ("key_id", _KEY_ID),
        ):
            value = getattr(self, name)
            if not isinstance(value, str) or not pattern.fullmatch(value):
                raise StatementError(f"{name} {value!r} is not in canonical form")
        lines = [FORMAT, *(f"{k} {v}" for k, v in asdict(self).items())]
        return ("\n".join(lines) + "\n").encode("ascii")

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SegmentStatement:
        if data.get("format") != FORMAT:
            raise StatementError(f"unknown segment statement format {data.get('format')!r}")
        try:
            statement = cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except KeyError as exc:
            raise StatementError(f"segment statement is missing {exc.args[0]!r}") from None
        statement.message()
        return statement


def sign_statement(statement: SegmentStatement, key: Ed25519PrivateKey) -> str:
    return key.sign(statement.message()).hex()


def statement_signed(
    statement: SegmentStatement, signature: str, public_key: Ed25519PublicKey
) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature), statement.message())
    except (InvalidSignature, ValueError, StatementError):
        return False
    return True
