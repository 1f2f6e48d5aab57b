"""Pseudonyms: keyed, stable per person, recognisable, carrying the key id."""

from __future__ import annotations

import re

import pytest

from lineage.keys import KeyMaterialError, SymmetricKey
from lineage.privacy import is_pseudonym, normalize_identity, pseudonym_for
from lineage.privacy.pseudonyms import key_id_of

KEY = SymmetricKey("k1", bytes(range(32)))
OTHER = SymmetricKey("k1", bytes(range(1, 33)))


def test_format_carries_the_key_id_and_128_bits() -> None:
    pseudonym = pseudonym_for("alice", KEY)
    assert re.fullmatch(r"psn:k1:[0-9a-f]{32}", pseudonym)
    assert key_id_of(pseudonym) == "k1"
    assert pseudonym_for("alice", SymmetricKey("2026-q1", KEY.material)).startswith("psn:2026-q1:")


def test_same_person_same_pseudonym_after_normalising() -> None:
    alice = pseudonym_for("alice@example.org", KEY)
    for variant in (
        "Alice@Example.ORG",
        "  alice@example.org\n",
        "\uff41\uff4c\uff49\uff43\uff45@example.org",
    ):
        assert pseudonym_for(variant, KEY) == alice
    assert pseudonym_for("user:jdoe", KEY) == pseudonym_for("JDoe", KEY)
    assert normalize_identity("  Jane \t Doe ") == "jane doe"


def test_keyed_not_a_plain_hash() -> None:
    import hashlib

    pseudonym = pseudonym_for("alice", KEY)
    assert pseudonym != pseudonym_for("alice", OTHER)
    assert hashlib.sha256(b"alice").hexdigest()[:32] not in pseudonym
    assert pseudonym_for("bob", KEY) != pseudonym


def test_a_pseudonym_is_left_as_it_is() -> None:
    pseudonym = pseudonym_for("alice", KEY)
    assert pseudonym_for(pseudonym, KEY) == pseudonym
    assert pseudonym_for(pseudonym, OTHER) == pseudonym
    assert is_pseudonym(pseudonym)
    for value in ("alice", "psn:k1:abc", "psn:k1:" + "G" * 32, None, 42, f" {pseudonym}"):
        assert not is_pseudonym(value)


def test_a_key_id_that_cannot_be_written_in_a_pseudonym_is_refused() -> None:
    with pytest.raises(KeyMaterialError, match="pseudonym key id"):
        pseudonym_for("alice", SymmetricKey("k 1:x", KEY.material))
