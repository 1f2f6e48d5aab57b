"""Secret keys kept outside the database: a keys folder (or environment variables), never a table.

Each key has an id, so keys can rotate: new material gets a new id, old ids stay readable.
Files are created on first use with owner-only permissions. In production, point MLAUDIT_KEYS_DIR
at a mounted secret volume, or set the MLAUDIT_*_KEY variables (hex), so the database host never
holds them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from lineage.errors import AuditError


class KeyMaterialError(AuditError):
    """A key is missing, unreadable or malformed."""


@dataclass(frozen=True)
class SymmetricKey:
    key_id: str
    material: bytes


class KeyStore:
    """The secrets: pseudonym HMAC key, vault key-encryption key, tree-head signing key."""

    def __init__(self, keys_dir: Path, env: dict[str, str] | None = None) -> None:
        self.keys_dir = keys_dir
        self.env = dict(os.environ if env is None else env)

    def pseudonym_key(self) -> SymmetricKey:
        """HMAC-SHA-256 key that turns identities into stable pseudonyms."""
        return self._symmetric("pseudonym", "MLAUDIT_PSEUDONYM_KEY")

    def vault_key(self) -> SymmetricKey:
        """Key-encryption key that wraps each person's data key in the reveal vault."""
        return self._symmetric("vault", "MLAUDIT_VAULT_KEY")

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        """Ed25519 key that signs tree heads; its id is derived from the public key."""
        path = self.keys_dir / "signing.pem"
        if not path.exists():
            self._write(
                path,
                Ed25519PrivateKey.generate().private_bytes(
                    Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
                ),
            )
        try:
            key = load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise KeyMaterialError(f"{path}: not a PEM private key ({exc})") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyMaterialError(f"{path}: expected an Ed25519 key, found {type(key).__name__}")
        return public_key_id(key.public_key()), key

    def _symmetric(self, name: str, variable: str) -> SymmetricKey:
        if self.env.get(variable):
            return _parse_symmetric(self.env[variable], variable)
        path = self.keys_dir / f"{name}.key"
        if not path.exists():
            self._write(path, f"k1:{secrets.token_hex(32)}\n".encode())
        return _parse_symmetric(path.read_text().strip(), str(path))

    def _write(self, path: Path, data: bytes) -> None:
        """Create a key file atomically; if another process won the race, keep its key."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # link() never replaces an existing file, so readers see a whole key or none.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()


def _parse_symmetric(text: str, source: str) -> SymmetricKey:
    """`<key id>:<64 hex characters>`; the id names the key in every value it produced."""
    key_id, _, hexed = text.partition(":")
    try:
        material = bytes.fromhex(hexed)
    except ValueError as exc:
        raise KeyMaterialError(f"{source}: expected '<key id>:<hex>', got malformed hex") from exc
    if not key_id or len(material) < 32:
        raise KeyMaterialError(f"{source}: expected '<key id>:<at least 64 hex characters>'")
    return SymmetricKey(key_id, material)


def public_key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return raw.hex()[:16]
