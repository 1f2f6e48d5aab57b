"""Signed tree heads: "the log had N entries with this root", signed with the store's Ed25519 key.

The signature covers a fixed ASCII text (five lines, each ending in a newline):

    mlaudit tree head v1
    size <tree size, decimal, no leading zeros>
    root <root hash, 64 lowercase hex digits>
    time <signing time, YYYY-MM-DDTHH:MM:SS.ffffffZ, UTC>
    key <key id, lowercase hex>

A third party rebuilds it from the exported JSON fields and checks the signature with the public
key it trusts; fields that do not spell exactly one such text are refused, so one signature can
never be read two ways. The key lives outside the database (lineage.keys).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Connection, func, insert, select

from lineage.db import writer_transaction
from lineage.errors import AuditError, IntegrityError
from lineage.merkle.entries import entries_bytes
from lineage.merkle.hashing import leaf_hash
from lineage.merkle.proofs import consistency_proof
from lineage.merkle.tree import read_nodes, root_at, stored_size
from lineage.merkle.verifier import InvalidProof, check_consistency
from lineage.models import LogEntry
from lineage.models.merkle import TreeHead
from lineage.timeutil import now_store_time

if TYPE_CHECKING:
    from lineage.keys import KeyStore
    from lineage.store import AuditStore

FORMAT = "mlaudit tree head v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"
)  # ASCII digits
_KEY_ID = re.compile(r"[0-9a-f]{1,64}")


class HeadFormatError(AuditError):
    """A tree head whose fields do not spell a canonical signed text."""


@dataclass(frozen=True)
class SignedHead:
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    public_key: str
    signature: str
    id: int | None = None

    def message(self) -> bytes:
        return head_message(self.tree_size, self.root_hash, self.timestamp, self.key_id)

    def label(self) -> str:
        number = f" #{self.id}" if self.id is not None else ""
        return f"signed head{number} of {self.timestamp} (size {self.tree_size})"

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignedHead:
        if data.get("format", FORMAT) != FORMAT:
            raise HeadFormatError(f"unknown tree head format {data.get('format')!r}")
        try:
            head = cls(**{name: data[name] for name in _FIELDS}, id=data.get("id"))
        except KeyError as exc:
            raise HeadFormatError(f"tree head is missing {exc.args[0]!r}") from None
        head.message()  # refuse non-canonical fields now, not at first use
        return head


_FIELDS = ("tree_size", "root_hash", "timestamp", "key_id", "public_key", "signature")


def head_message(tree_size: int, root_hash: str, timestamp: str, key_id: str) -> bytes:
    """The exact bytes a tree head's signature covers (see the module docstring)."""
    if type(tree_size) is not int or tree_size < 0:
        raise HeadFormatError(f"tree size must be a non-negative integer, got {tree_size!r}")
    for name, value, pattern in (
        ("root hash", root_hash, _HEX64),
        ("time", timestamp, _TIME),
        ("key id", key_id, _KEY_ID),
    ):
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise HeadFormatError(f"{name} {value!r} is not in canonical form")
    text = f"{FORMAT}\nsize {tree_size}\nroot {root_hash}\ntime {timestamp}\nkey {key_id}\n"
    return text.encode("ascii")


def sign(
    tree_size: int, root: bytes, timestamp: str, key_id: str, key: Ed25519PrivateKey
) -> SignedHead:
    signature = key.sign(head_message(tree_size, root.hex(), timestamp, key_id))
    public = public_key_hex(key.public_key())
    return SignedHead(tree_size, root.hex(), timestamp, key_id, public, signature.hex())


def public_key_hex(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key in hex: the form heads carry and auditors pin."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def signature_ok(head: SignedHead, public_key: Ed25519PublicKey) -> bool:
    """Whether `public_key` signed exactly this head's canonical text."""
    try:
        public_key.verify(bytes.fromhex(head.signature), head.message())
    except (InvalidSignature, ValueError, HeadFormatError):
        return False
    return True


def public_key_from_hex(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except ValueError as exc:
        raise HeadFormatError(f"not a raw Ed25519 public key in hex: {text!r}") from exc


def trusted_keys(keys: KeyStore | None = None) -> dict[str, Ed25519PublicKey]:
    """The public half of this store's signing key, by key id (the keys stay outside the DB)."""
    key_id, private = (keys or _default_keys()).signing_key()
    return {key_id: private.public_key()}


def sign_head(store: AuditStore, *, keys: KeyStore | None = None) -> SignedHead:
    """Sign the tree as it is now and store the head; for `mlaudit checkpoint` and schedules.

    Under the writer lock, so no append lands between reading the root and storing the head.
    Refuses to sign a tree that disagrees with the log's last entry or does not extend the last
    signed head: a signature must never bless a rewritten history.
    """
    key_id, private = (keys or getattr(store, "keys", None) or _default_keys()).signing_key()
    with writer_transaction(store.engine) as conn:
        size = _signable_size(conn)
        root = root_at(conn, size)
        previous = latest_head(conn)
        if previous is not None:
            _require_extension(conn, previous, size, root)
        return store_head(conn, sign(size, root, now_store_time(), key_id, private))


def _signable_size(conn: Connection) -> int:
    size, whole = stored_size(conn)
    last = conn.execute(select(func.max(LogEntry.seq))).scalar() or 0
    if not whole or size != last:
        raise IntegrityError(
            f"refusing to sign: the tree holds {size} leaves but the log ends at seq {last}"
        )
    if size:
        stored = read_nodes(conn, [(0, size - 1)]).get((0, size - 1))
        if stored != leaf_hash(next(entries_bytes(conn, size - 1, size))):
            raise IntegrityError(f"refusing to sign: the tree's last leaf is not entry {size}")
    return size


def _require_extension(conn: Connection, previous: SignedHead, size: int, root: bytes) -> None:
    if previous.tree_size > size:
        raise IntegrityError(
            f"refusing to sign: log truncated: {previous.label()} covers "
            f"{previous.tree_size} entries, log has {size}"
        )
    if previous.tree_size == 0:
        return
    proof = consistency_proof(conn, previous.tree_size, size)
    try:
        check_consistency(
            previous.tree_size, size, proof.proof, bytes.fromhex(previous.root_hash), root
        )
    except InvalidProof as exc:
        raise IntegrityError(
            f"refusing to sign: the tree does not extend {previous.label()}: {exc}"
        ) from None


def _default_keys() -> KeyStore:
    from lineage.keys import KeyStore
    from lineage.settings import Settings

    return KeyStore(Settings.from_env().keys_dir)


def store_head(conn: Connection, head: SignedHead) -> SignedHead:
    values = {name: getattr(head, name) for name in _FIELDS}
    values["signed_at"] = values.pop("timestamp")
    result = conn.execute(insert(TreeHead.__table__).values(**values))
    return replace(head, id=result.inserted_primary_key[0])


def stored_heads(conn: Connection, upto_id: int | None = None) -> list[SignedHead]:
    """Every stored head, oldest first (optionally only up to a given id)."""
    table = TreeHead.__table__
    query = select(table).order_by(table.c.id)
    if upto_id is not None:
        query = query.where(table.c.id <= upto_id)
    return [_from_row(row) for row in conn.execute(query).mappings()]


def latest_head(conn: Connection, size: int | None = None) -> SignedHead | None:
    """The latest stored head (the latest of exactly `size` entries, when given)."""
    table = TreeHead.__table__
    query = select(table).order_by(table.c.id.desc()).limit(1)
    if size is not None:
        query = query.where(table.c.tree_size == size)
    row = conn.execute(query).mappings().first()
    return _from_row(row) if row else None


def _from_row(row: Any) -> SignedHead:
    return SignedHead(
        tree_size=row["tree_size"],
        root_hash=row["root_hash"],
        timestamp=row["signed_at"],
        key_id=row["key_id"],
        public_key=row["public_key"],
        signature=row["signature"],
        id=row["id"],
    )
