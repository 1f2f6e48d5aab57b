"""Signed tree heads: the exact signed text, signatures, storage, and refusing to bless rewrites."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from scenario import ml_history
from tamper import drop_guards
from tamper_tree import cut_log_tail, cut_tree_tail, drop_tree_guards, rewrite_history

from lineage.errors import IntegrityError
from lineage.keys import public_key_id
from lineage.merkle.hashing import EMPTY_ROOT
from lineage.merkle.heads import (
    HeadFormatError,
    SignedHead,
    head_message,
    latest_head,
    sign,
    sign_head,
    signature_ok,
    stored_heads,
)
from lineage.verify import verify_log

ROOT = "ab" * 32
TIME = "2026-01-02T03:04:05.000006Z"


def test_the_signed_text_is_fixed_ascii() -> None:
    assert head_message(10, ROOT, TIME, "0123456789abcdef") == (
        b"mlaudit tree head v1\n"
        b"size 10\n"
        b"root " + ROOT.encode() + b"\n"
        b"time 2026-01-02T03:04:05.000006Z\n"
        b"key 0123456789abcdef\n"
    )


@pytest.mark.parametrize(
    ("size", "root", "time", "key"),
    [
        (-1, ROOT, TIME, "ab"),
        (True, ROOT, TIME, "ab"),
        ("10", ROOT, TIME, "ab"),
        (10, ROOT.upper(), TIME, "ab"),
        (10, ROOT[:-2], TIME, "ab"),
        (10, ROOT, "2026-01-02T03:04:05Z", "ab"),
        (10, ROOT, "2026-01-02 03:04:05.000006Z", "ab"),
        (10, ROOT, TIME.replace("2", "\u0662", 1), "ab"),  # a non-ASCII digit
        (10, ROOT, TIME, "AB"),
        (10, ROOT, TIME, "ab\nsize 11"),
    ],
)
def test_non_canonical_fields_are_refused(size, root, time, key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HeadFormatError):
        head_message(size, root, time, key)


def test_signature_covers_every_field() -> None:
    key = Ed25519PrivateKey.generate()
    key_id = public_key_id(key.public_key())
    head = sign(7, bytes.fromhex(ROOT), TIME, key_id, key)
    assert signature_ok(head, key.public_key())
    assert not signature_ok(head, Ed25519PrivateKey.generate().public_key())
    for change in (
        {"tree_size": 8},
        {"root_hash": "cd" * 32},
        {"timestamp": TIME.replace("05.", "06.")},
        {"key_id": "0" * 16},
        {"signature": "00" * 64},
        {"signature": "not hex"},
    ):
        assert not signature_ok(replace(head, **change), key.public_key()), change


def test_json_round_trip_and_refusals() -> None:
    key = Ed25519PrivateKey.generate()
    head = sign(3, EMPTY_ROOT, TIME, public_key_id(key.public_key()), key)
    assert SignedHead.from_json(head.to_json()) == head
    with pytest.raises(HeadFormatError, match="format"):
        SignedHead.from_json({**head.to_json(), "format": "something else"})
    with pytest.raises(HeadFormatError, match="missing 'signature'"):
        SignedHead.from_json({k: v for k, v in head.to_json().items() if k != "signature"})
    with pytest.raises(HeadFormatError):
        SignedHead.from_json({**head.to_json(), "root_hash": ROOT.upper()})


def test_sign_head_stores_a_head_under_the_store_key(store, kit) -> None:  # type: ignore[no-untyped-def]
    empty = sign_head(store)
    assert (empty.tree_size, empty.root_hash) == (0, EMPTY_ROOT.hex())
    store.ingest(ml_history(kit))
    head = sign_head(store)
    key_id, private = store.keys.signing_key()
    assert (head.tree_size, head.key_id, head.id) == (10, key_id, empty.id + 1)
    assert signature_ok(head, private.public_key())
    with store.engine.connect() as conn:
        assert stored_heads(conn) == [empty, head]
        assert latest_head(conn) == head and latest_head(conn, 0) == empty
    assert verify_log(store.engine).ok


def test_heads_under_an_untrusted_key_are_named(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    head = sign_head(store)
    other = Ed25519PrivateKey.generate().public_key()
    report = verify_log(store.engine, trusted={public_key_id(other): other})
    [problem] = report.heads.problems
    assert (problem.kind, problem.head_id) == ("untrusted-key", head.id)


def test_sign_head_refuses_a_rewritten_history(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    head = sign_head(store)
    drop_guards(store.engine)
    drop_tree_guards(store.engine)
    rewrite_history(store.engine, 4, "COMPLETE", "ABORT")
    with pytest.raises(IntegrityError, match=f"does not extend signed head #{head.id}"):
        sign_head(store)


def test_sign_head_refuses_a_truncated_log(store, kit) -> None:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    sign_head(store)
    drop_guards(store.engine)
    drop_tree_guards(store.engine)
    cut_log_tail(store.engine, keep=7)
    with pytest.raises(IntegrityError, match="tree holds 10 leaves but the log ends at seq 7"):
        sign_head(store)
    cut_tree_tail(store.engine, keep=7)
    with pytest.raises(IntegrityError, match=r"log truncated: .* covers 10 entries, log has 7"):
        sign_head(store)


def test_an_entry_newer_than_the_latest_head_says_how_to_prove_it(store, kit) -> None:  # type: ignore[no-untyped-def]
    from lineage.merkle.export import export_inclusion
    from lineage.merkle.proofs import ProofError

    history = ml_history(kit)
    store.ingest(history[:4])
    sign_head(store)
    store.ingest(history[4:])
    with pytest.raises(ProofError, match=r"covers 4: sign one .* `mlaudit checkpoint`, or pass"):
        export_inclusion(store.engine, 6)
    assert export_inclusion(store.engine, 6, size=10)["head"] is None  # the tree, unsigned
    with pytest.raises(ProofError) as refused:
        export_inclusion(store.engine, 6, size=5)
    assert str(refused.value) == "entry seq 6 is not in a tree of 5 entries"


def test_a_malformed_proof_or_head_is_said_in_words(store, kit) -> None:  # type: ignore[no-untyped-def]
    from lineage.merkle.export import export_inclusion
    from lineage.merkle.offline import check_document

    store.ingest(ml_history(kit)[:3])
    sign_head(store)
    proof = export_inclusion(store.engine, 2)
    (no_type,) = check_document({k: v for k, v in proof.items() if k != "type"}, [proof["head"]])
    assert no_type.what == "malformed proof or head: no field 'type'"
    (bad_key,) = check_document(proof, [{**proof["head"], "public_key": "00"}])
    assert bad_key.what == "malformed proof or head: not a raw Ed25519 public key in hex: '00'"
