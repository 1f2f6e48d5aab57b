"""The vault on SQLite and PostgreSQL: sealed identities, reveal, erasure, and the log untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from lineage.keys import KeyMaterialError, KeyStore
from lineage.models.privacy import VaultEntry
from lineage.privacy import (
    IdentityErased,
    NotAPseudonym,
    erase_identity,
    pseudonym_for,
    reveal_identity,
)
from lineage.privacy.sealing import VaultDecryptionError
from lineage.settings import Settings
from lineage.store import AuditStore
from lineage.verify import verify_chain

VAULT = VaultEntry.__table__


def psn(store: AuditStore, name: str) -> str:
    return pseudonym_for(name, store.keys.pseudonym_key())


def vault_rows(store: AuditStore) -> dict[str, dict]:
    with store.engine.connect() as conn:
        return {r.pseudonym: dict(r._mapping) for r in conn.execute(select(VAULT))}


def test_ingest_seals_identities_and_stores_only_pseudonyms(store, kit) -> None:  # type: ignore[no-untyped-def]
    event = kit.event("r", "train", time="2026-01-01T00:00:00Z", actor="Alice")
    store.ingest([event], submitter="token-user@corp.example")
    (entry,) = store.entries()
    alice = psn(store, "alice")
    assert (
        entry["actor"] == alice
        and entry["event"]["run"]["facets"]["mlaudit_actor"]["name"] == alice
    )
    assert entry["submitter"] == psn(store, "token-user@corp.example")
    rows = vault_rows(store)
    assert set(rows) == {alice, entry["submitter"]}
    row = rows[alice]
    assert (row["pseudonym_key_id"], row["vault_key_id"]) == ("k1", "k1")
    assert (
        b"Alice" not in bytes(row["ciphertext"]) and len(bytes(row["wrapped_key"])) == 12 + 32 + 16
    )
    assert reveal_identity(store, alice) == "Alice"  # as first written
    assert reveal_identity(store, entry["submitter"]) == "token-user@corp.example"


def test_each_person_is_sealed_once_and_reingest_is_idempotent(store, kit) -> None:  # type: ignore[no-untyped-def]
    first = kit.event("r1", "train", time="2026-01-01T00:00:00Z", actor="alice")
    second = kit.event("r2", "train", time="2026-01-02T00:00:00Z", actor="ALICE")
    store.ingest([first, second])
    before = vault_rows(store)
    assert list(before) == [psn(store, "alice")]
    stored = [e["event"] for e in store.entries()]
    # Stored events hold pseudonyms already: ingesting them again, or the originals, adds nothing.
    again = store.ingest([*stored, first])
    assert [a.duplicate for a in again.accepted] == [True, True, True]
    assert vault_rows(store) == before


def test_reveal_unknown_and_malformed(store) -> None:  # type: ignore[no-untyped-def]
    assert reveal_identity(store, psn(store, "nobody")) is None
    with pytest.raises(NotAPseudonym, match="not a pseudonym") as caught:
        reveal_identity(store, "alice")
    assert "alice" not in str(caught.value)  # never echo what may be an identity


@pytest.mark.parametrize("by", ["identity", "pseudonym"])
def test_erasure_shreds_the_identity_and_verify_still_passes(store, kit, by: str) -> None:  # type: ignore[no-untyped-def]
    store.ingest([kit.event("r", "j", time="2026-01-01T00:00:00Z", actor="bob")])
    bob = psn(store, "bob")
    payload_before = store.entries()[0]["payload"]
    erasure = erase_identity(store, "Bob " if by == "identity" else bob)
    assert erasure is not None
    assert (erasure.pseudonym, erasure.pseudonym_key_id, erasure.already_erased) == (
        bob,
        "k1",
        False,
    )
    assert "bob" not in repr(erasure).replace(bob, "")
    row = vault_rows(store)[bob]
    assert (row["wrapped_key"], row["ciphertext"], row["erased_at"]) == (
        None,
        None,
        erasure.erased_at,
    )
    with pytest.raises(IdentityErased, match=f"{bob}: identity erased at"):
        reveal_identity(store, bob)
    report = verify_chain(store.engine)
    assert report.ok and report.entries == 1
    assert store.entries()[0]["payload"] == payload_before
    again = erase_identity(store, bob)
    assert again is not None and again.already_erased and again.erased_at == erasure.erased_at
    assert erase_identity(store, "never-seen") is None


def test_erased_identities_do_not_come_back(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest([kit.event("r1", "j", time="2026-01-01T00:00:00Z", actor="carol")])
    erase_identity(store, "carol")
    store.ingest([kit.event("r2", "j", time="2026-01-02T00:00:00Z", actor="carol")])
    assert store.count_entries() == 2
    with pytest.raises(IdentityErased):
        reveal_identity(store, psn(store, "carol"))


def test_rejected_events_leave_no_identity(store, kit) -> None:  # type: ignore[no-untyped-def]
    bad = kit.event("r", "j", time="2026-01-01T00:00:00Z", actor="dave")
    bad["run"]["runId"] = ""
    good = kit.event("r2", "j", time="2026-01-01T00:00:00Z", actor="erin")
    result = store.ingest([bad, good], strict=False)
    assert len(result.rejected) == 1
    assert list(vault_rows(store)) == [psn(store, "erin")]


def test_a_second_key_under_the_same_id_is_refused(db_url: str, kit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    AuditStore.open(db_url).ingest([kit.event("r", "j", time="2026-01-01T00:00:00Z", actor="a")])
    other = Settings(home=tmp_path, database_url=db_url, keys_dir=tmp_path / "other-keys")
    stranger = AuditStore.open(settings=other)
    with pytest.raises(KeyMaterialError, match="pseudonym key 'k1' is not the key this store"):
        stranger.ingest([kit.event("r2", "j", time="2026-01-01T00:00:00Z", actor="a")])
    assert stranger.count_entries() == 1


def test_vault_entries_are_bound_to_their_pseudonym_and_key(store, kit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store.ingest([kit.event("r", "j", time="2026-01-01T00:00:00Z", actor="frank")])
    store.ingest([kit.event("r2", "j", time="2026-01-01T00:00:00Z", actor="gina")])
    frank, gina = psn(store, "frank"), psn(store, "gina")
    with store.engine.begin() as conn:  # an attacker moves gina's sealed identity onto frank
        sealed = conn.execute(select(VAULT.c.ciphertext).where(VAULT.c.pseudonym == gina)).scalar()
        conn.execute(VAULT.update().where(VAULT.c.pseudonym == frank).values(ciphertext=sealed))
    with pytest.raises(VaultDecryptionError, match="does not open"):
        reveal_identity(store, frank)
    wrong = AuditStore(
        store.engine, keys=KeyStore(tmp_path / "k2", env={"MLAUDIT_VAULT_KEY": "k2:" + "ab" * 32})
    )
    with pytest.raises(VaultDecryptionError, match="sealed under vault key 'k1'"):
        reveal_identity(wrong, gina)


def test_sqlite_erasure_leaves_no_key_bytes_in_the_files(sqlite_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    store = AuditStore.open(sqlite_url)
    store.ingest([kit.event("r", "j", time="2026-01-01T00:00:00Z", actor="heidi")])
    row = vault_rows(store)[psn(store, "heidi")]
    erase_identity(store, "heidi")
    path = Path(store.engine.url.database or "")
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    data = b"".join(p.read_bytes() for p in files)
    assert bytes(row["wrapped_key"]) not in data and bytes(row["ciphertext"]) not in data
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
