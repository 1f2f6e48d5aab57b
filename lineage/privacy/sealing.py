"""Envelope encryption of one identity: AES-256-GCM under a fresh data key per person, the data
key itself AES-256-GCM-wrapped by the vault key (the key-encryption key, kept outside the database).

Both layers bind the pseudonym as associated data, so a sealed identity moved to another row does
not open. Destroying the wrapped data key (erasure) leaves the ciphertext undecryptable even by
someone holding the vault key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lineage.errors import AuditError
from lineage.keys import SymmetricKey

NONCE_BYTES = 12


class VaultDecryptionError(AuditError):
    """A vault entry does not open: wrong vault key, or the entry was altered."""


@dataclass(frozen=True)
class Sealed:
    wrapped_key: bytes  # nonce || AES-GCM(vault key, data key)
    ciphertext: bytes  # nonce || AES-GCM(data key, identity)


def seal(identity: str, pseudonym: str, vault_key: SymmetricKey) -> Sealed:
    data_key = AESGCM.generate_key(bit_length=256)
    return Sealed(
        wrapped_key=_encrypt(_kek(vault_key), data_key, _wrap_aad(pseudonym, vault_key.key_id)),
        ciphertext=_encrypt(AESGCM(data_key), identity.encode("utf-8"), _identity_aad(pseudonym)),
    )


def unseal(sealed: Sealed, pseudonym: str, vault_key: SymmetricKey) -> str:
    try:
        data_key = _decrypt(
            _kek(vault_key), sealed.wrapped_key, _wrap_aad(pseudonym, vault_key.key_id)
        )
        plain = _decrypt(AESGCM(data_key), sealed.ciphertext, _identity_aad(pseudonym))
    except (InvalidTag, ValueError) as exc:
        raise VaultDecryptionError(
            f"vault entry of {pseudonym} does not open with vault key {vault_key.key_id!r}"
        ) from exc
    return plain.decode("utf-8")


def _kek(vault_key: SymmetricKey) -> AESGCM:
    # The stored key may be longer than 32 bytes; HKDF also separates it from any other use.
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mlaudit/vault/kek/v1")
    return AESGCM(hkdf.derive(vault_key.material))


def _wrap_aad(pseudonym: str, key_id: str) -> bytes:
    return f"mlaudit/vault/data-key/v1|{key_id}|{pseudonym}".encode()


def _identity_aad(pseudonym: str) -> bytes:
    return f"mlaudit/vault/identity/v1|{pseudonym}".encode()


def _encrypt(cipher: AESGCM, plain: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, plain, aad)


def _decrypt(cipher: AESGCM, sealed: bytes, aad: bytes) -> bytes:
    return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
