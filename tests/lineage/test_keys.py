"""Keys live outside the database, are created once even under races, and bad ones are named."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lineage.keys import KeyMaterialError, KeyStore


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    with ThreadPoolExecutor(8) as pool:
        materials = set(pool.map(lambda _: KeyStore(keys_dir).pseudonym_key().material, range(32)))
    assert len(materials) == 1
    assert sorted(p.name for p in keys_dir.iterdir()) == ["pseudonym.key"]
    assert stat.S_IMODE((keys_dir / "pseudonym.key").stat().st_mode) == 0o600


def test_signing_key_is_stable_and_has_an_id(tmp_path: Path) -> None:
    first_id, first = KeyStore(tmp_path).signing_key()
    second_id, second = KeyStore(tmp_path).signing_key()
    assert first_id == second_id and len(first_id) == 16
    assert first.private_bytes_raw() == second.private_bytes_raw()


def test_environment_keys_win_and_bad_ones_are_named(tmp_path: Path) -> None:
    env = {"MLAUDIT_PSEUDONYM_KEY": "k7:" + "ab" * 32}
    assert KeyStore(tmp_path, env=env).pseudonym_key().key_id == "k7"
    with pytest.raises(KeyMaterialError, match="MLAUDIT_VAULT_KEY: expected"):
        KeyStore(tmp_path, env={"MLAUDIT_VAULT_KEY": "k1:zz"}).vault_key()
    (tmp_path / "signing.pem").write_text("not a key")
    with pytest.raises(KeyMaterialError, match=r"signing\.pem: not a PEM private key"):
        KeyStore(tmp_path).signing_key()
