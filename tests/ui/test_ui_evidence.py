"""Evidence packs: built from the real demo, checked the way a third party would check them.

`third_party_check` uses nothing of this project but the two files an auditor copies
(`lineage/merkle/verifier.py` and `hashing.py`) plus the `cryptography` package, and rebuilds
the signed head's text from its documented format by hand.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from ui_helpers import re_evaluation

from lineage.evidence import build_pack, check_pack, render_html
from lineage.merkle.hashing import leaf_hash
from lineage.merkle.heads import public_key_hex, trusted_keys
from lineage.merkle.offline import check_document
from lineage.merkle.verifier import check_inclusion

MODEL = "breast_cancer_model"


def third_party_check(pack: dict[str, Any], pinned_key: str) -> None:
    head = pack["head"]
    text = (
        f"mlaudit tree head v1\nsize {head['tree_size']}\nroot {head['root_hash']}\n"
        f"time {head['timestamp']}\nkey {head['key_id']}\n"
    )
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(pinned_key))
    key.verify(bytes.fromhex(head["signature"]), text.encode())  # raises when forged
    for item in pack["entries"]:
        proof = item["proof"]
        data = proof["entry"].encode()
        assert leaf_hash(data).hex() == proof["leaf_hash"]
        assert json.loads(data.split(b"\n", 1)[0])["seq"] == item["seq"] == proof["leaf_index"] + 1
        assert proof["tree_size"] == head["tree_size"] and proof["root"] == head["root_hash"]
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        check_inclusion(
            leaf_hash(data),
            proof["leaf_index"],
            proof["tree_size"],
            path,
            bytes.fromhex(head["root_hash"]),
        )


@pytest.fixture
def pack(ui_store, deployed_version) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return build_pack(ui_store.engine, MODEL, version=deployed_version)


@pytest.fixture
def pinned(ui_store) -> str:  # type: ignore[no-untyped-def]
    return public_key_hex(next(iter(trusted_keys(ui_store.keys).values())))


def test_a_pack_proves_every_entry_its_trace_relies_on(pack, pinned) -> None:  # type: ignore[no-untyped-def]
    third_party_check(pack, pinned)
    assert pack["uncovered"] == []
    why = {e["why"] for e in pack["entries"]}
    assert "deletion of dagster/raw_breast_cancer" in why
    assert any(w.startswith("deployment: rollback") for w in why)
    assert "evaluation of the traced version" in why
    assert any(w.startswith("parent run") for w in why), "who launched the runs"
    traced_runs = {r["run_id"] for r in pack["trace"]["runs"]}
    assert traced_runs <= {e["run_id"] for e in pack["entries"]}
    result = check_pack(pack, pinned)
    assert result.ok and result.proven == len(pack["entries"])
    assert result.under.startswith("signature checked under the pinned key")


def test_each_proof_is_also_a_check_proof_document(pack, pinned) -> None:  # type: ignore[no-untyped-def]
    proof = pack["entries"][0]["proof"]
    assert all(step.ok for step in check_document(proof, [pack["head"]], pinned))


@pytest.mark.parametrize(
    "tamper",
    ["entry bytes", "audit path", "head root", "another key"],
)
def test_a_tampered_pack_fails(pack, pinned, tamper: str) -> None:  # type: ignore[no-untyped-def]
    bad = copy.deepcopy(pack)
    proof = bad["entries"][3]["proof"]
    if tamper == "entry bytes":
        proof["entry"] = (
            proof["entry"].replace("COMPLETE", "COMPLETF", 1).replace("RUNNING", "RUNNINF", 1)
        )
    elif tamper == "audit path":
        proof["audit_path"][0] = "00" * 32
    elif tamper == "head root":
        bad["head"]["root_hash"] = "11" * 32
    else:
        pinned = "22" * 32
    assert not check_pack(bad, pinned).ok
    with pytest.raises(Exception):  # noqa: B017 - any failure will do: the third party stops
        third_party_check(bad, pinned)


def test_entries_newer_than_the_head_are_listed_not_hidden(ui_store, deployed_version) -> None:  # type: ignore[no-untyped-def]
    # A re-evaluation after the last checkpoint: part of the trace, not yet provable.
    ui_store.ingest([re_evaluation(deployed_version)])
    pack = build_pack(ui_store.engine, MODEL, version=deployed_version)
    assert [e["why"] for e in pack["uncovered"]] == ["evaluation of the traced version"]
    assert pack["uncovered"][0]["seq"] > pack["head"]["tree_size"]
    result = check_pack(pack)
    assert not result.ok and "newer than the head" in result.failures[0]


def test_without_a_signed_head_nothing_is_claimed(  # type: ignore[no-untyped-def]
    tmp_path,
    seeded,
    monkeypatch,
    deployed_version,
) -> None:
    from sqlalchemy import create_engine, text
    from ui_seed import copy_database

    database = copy_database(seeded.database, tmp_path / "nohead.db")
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as conn:  # a store as it was before its first checkpoint
        conn.execute(text("DROP TRIGGER IF EXISTS tree_heads_no_delete"))
        conn.execute(text("DELETE FROM tree_heads"))
    pack = build_pack(engine, MODEL, version=deployed_version)
    assert pack["head"] is None and pack["entries"] == [] and pack["uncovered"]
    result = check_pack(pack)
    assert not result.ok
    assert "no signed tree head" in result.failures[0]


def test_the_html_report_is_self_contained_and_carries_the_pack(pack, pinned) -> None:  # type: ignore[no-untyped-def]
    page = render_html(pack, pinned)
    assert f"All {len(pack['entries'])} entries verify" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page), "nothing fetched"
    assert "<link" not in page
    embedded = re.search(
        r'<script type="application/json" id="mlaudit-evidence">(.*?)</script>', page, re.S
    )
    assert embedded is not None
    assert json.loads(embedded.group(1).replace("<\\/", "</")) == pack
    assert "breast_cancer.csv" in page and "rollback" in page
