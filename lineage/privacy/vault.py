"""The identity vault: store sealed identities, reveal one, erase a person (crypto-shredding).

`reveal_identity` and `erase_identity` check NO permissions and log nothing: callers (CLI, HTTP
API) must authorize the principal (`reveal` / `erase` permissions) and record the action as an
audit event themselves. Erasure returns what that event needs, never the plaintext.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, insert, select, update

from lineage.db import writer_transaction
from lineage.errors import AuditError
from lineage.keys import SymmetricKey
from lineage.models.privacy import VaultEntry
from lineage.privacy.pseudonyms import is_pseudonym, key_id_of, pseudonym_for
from lineage.privacy.sealing import Sealed, VaultDecryptionError, seal, unseal
from lineage.projection.sql import Sql
from lineage.timeutil import now_store_time

if TYPE_CHECKING:
    from lineage.store import AuditStore

log = logging.getLogger(__name__)
VAULT = VaultEntry.__table__


class IdentityErased(AuditError):
    """The identity behind the pseudonym was erased; the log still holds the pseudonym."""

    def __init__(self, pseudonym: str, erased_at: str) -> None:
        self.pseudonym = pseudonym
        self.erased_at = erased_at
        super().__init__(f"{pseudonym}: identity erased at {erased_at}; it cannot be revealed")


class NotAPseudonym(AuditError):
    """reveal was given something that is not a pseudonym."""


@dataclass(frozen=True)
class Erasure:
    """What an audit event about an erasure may carry: the pseudonym and when, no identity."""

    pseudonym: str
    pseudonym_key_id: str
    erased_at: str
    already_erased: bool


def record_identities(
    conn: Connection, identities: Mapping[str, str], vault_key: SymmetricKey, now: str
) -> int:
    """Seal the identities whose pseudonyms the vault lacks; returns how many were added.

    Runs inside the writer transaction of the append. An erased pseudonym keeps its tombstone, so
    re-ingesting old events never brings an erased identity back.
    """
    wanted = list(identities)
    # On the driver: every ingest runs this, and a Core statement cost more than the query.
    sql = Sql(conn)
    (rows,) = sql.fetch(
        sql.where_in(f"SELECT pseudonym FROM {VAULT.name} WHERE pseudonym {{in}}", wanted)
    )
    known = {row[0] for row in rows}
    rows = [_row(p, identities[p], vault_key, now) for p in wanted if p not in known]
    if rows:
        conn.execute(insert(VAULT), rows)
    return len(rows)


def _row(pseudonym: str, identity: str, vault_key: SymmetricKey, now: str) -> dict[str, object]:
    sealed = seal(identity, pseudonym, vault_key)
    return {
        "pseudonym": pseudonym,
        "pseudonym_key_id": key_id_of(pseudonym),
        "vault_key_id": vault_key.key_id,
        "wrapped_key": sealed.wrapped_key,
        "ciphertext": sealed.ciphertext,
        "created_at": now,
    }


def reveal_identity(store: AuditStore, pseudonym: str) -> str | None:
    """The identity behind `pseudonym`; None when the vault never held it.

    Raises IdentityErased when it was erased. Does not check permissions: the caller must.
    """
    if not is_pseudonym(pseudonym):
        raise NotAPseudonym("not a pseudonym: expected psn:<key id>:<32 hex digits>")
    with store.engine.connect() as conn:
        row = conn.execute(select(VAULT).where(VAULT.c.pseudonym == pseudonym)).first()
    if row is None:
        return None
    if row.erased_at is not None or row.wrapped_key is None or row.ciphertext is None:
        raise IdentityErased(pseudonym, row.erased_at or "an unknown time")
    vault_key = store.keys.vault_key()
    if row.vault_key_id != vault_key.key_id:
        raise VaultDecryptionError(
            f"{pseudonym} is sealed under vault key {row.vault_key_id!r}; "
            f"the key store holds {vault_key.key_id!r}"
        )
    return unseal(Sealed(bytes(row.wrapped_key), bytes(row.ciphertext)), pseudonym, vault_key)


def erase_identity(store: AuditStore, identity_or_pseudonym: str) -> Erasure | None:
    """Crypto-shred a person: destroy their wrapped data key and ciphertext, keep a tombstone.

    Accepts the identity (pseudonymized with the current key) or a pseudonym. Returns None when
    the vault never held it. The log is untouched, so `verify` still passes. Does not check
    permissions or log: the caller must.
    """
    pseudonym = identity_or_pseudonym
    if not is_pseudonym(pseudonym):
        pseudonym = pseudonym_for(identity_or_pseudonym, store.keys.pseudonym_key())
    now = now_store_time()
    with writer_transaction(store.engine) as conn:
        if conn.dialect.name == "sqlite":
            # Freed bytes are zeroed in the file instead of lingering in free space.
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        row = conn.execute(select(VAULT.c.erased_at).where(VAULT.c.pseudonym == pseudonym)).first()
        if row is None:
            return None
        if row.erased_at is not None:
            return Erasure(pseudonym, key_id_of(pseudonym), row.erased_at, already_erased=True)
        conn.execute(
            update(VAULT)
            .where(VAULT.c.pseudonym == pseudonym)
            .values(wrapped_key=None, ciphertext=None, erased_at=now)
        )
    scrub_storage(store.engine)
    return Erasure(pseudonym, key_id_of(pseudonym), now, already_erased=False)


def scrub_storage(engine: Engine) -> None:
    """Best effort: push overwritten vault bytes out of the database files.

    SQLite: checkpoint and truncate the WAL, which still holds old page images. PostgreSQL:
    VACUUM FULL rewrites the (small) vault table into new files, dropping dead row versions.
    Copies in backups, PostgreSQL's WAL archive or the file system are beyond reach; they stay
    sealed under the vault key (see docs/ARCHITECTURE.md, Privacy).
    """
    try:
        if engine.dialect.name == "sqlite":
            raw = engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM FULL {VAULT.name}")
    except Exception as exc:  # the erasure itself is committed; scrubbing is an extra
        log.warning("erased, but could not compact the vault storage: %s", exc)
