"""Verifying in two halves (two processes) gives exactly the answer of one pass.

The two-core path is forced on small stores here (`parallel_from=2`); by default it starts at
PARALLEL_MIN_ENTRIES entries.
"""

from __future__ import annotations

import pytest
from scenario import ml_history
from tamper import drop_guards, execute
from tamper_tree import drop_tree_guards, set_node

from lineage.merkle.check import snapshot
from lineage.merkle.heads import sign_head
from lineage.merkle.parallel import scan_in_two
from lineage.verify import report_json, verify_log


@pytest.fixture
def filled(store, kit):  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    sign_head(store)
    store.ingest([kit.event(f"more-{i}", "job", time="2026-03-01T00:00:00Z") for i in range(3)])
    return store


def both_ways(store) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    one = report_json(verify_log(store.engine, parallel_from=10**9))
    two = report_json(verify_log(store.engine, parallel_from=2))
    return one, two


def test_two_halves_agree_with_one_pass_on_an_intact_log(filled) -> None:  # type: ignore[no-untyped-def]
    with filled.engine.connect() as conn, conn.begin():
        halves = scan_in_two(filled.engine, conn, snapshot(conn), 2)
    assert halves is not None and halves.clean  # the worker really ran and was used
    assert (halves.chain.entries, halves.chain.head_seq, halves.tree.frontier.size) == (13, 13, 13)
    one, two = both_ways(filled)
    assert one == two and one["ok"]


@pytest.mark.parametrize("seq", [2, 7, 8, 13])  # before, at and after the cut (seq 7)
def test_an_edit_anywhere_is_reported_as_by_one_pass(filled, seq: int) -> None:  # type: ignore[no-untyped-def]
    drop_guards(filled.engine)
    execute(
        filled.engine,
        "UPDATE audit_log SET payload = replace(payload, 'COMPLETE', 'FAIL') WHERE seq = :s",
        s=seq,
    )
    with filled.engine.connect() as conn, conn.begin():
        assert scan_in_two(filled.engine, conn, snapshot(conn), 2) is None
    one, two = both_ways(filled)
    assert one == two and not one["ok"]
    assert [(p["check"], p["seq"]) for p in one["problems"][:2]] == [
        ("chain", seq),
        ("tree", seq),
    ]


@pytest.mark.parametrize(("level", "index"), [(2, 1), (1, 2), (0, 10), (2, 0)])
def test_an_altered_node_anywhere_is_reported_as_by_one_pass(filled, level, index) -> None:  # type: ignore[no-untyped-def]
    """(2, 1) and (1, 2) are on the frontier where the second half starts (after 6 leaves)."""
    drop_tree_guards(filled.engine)
    set_node(filled.engine, level, index, b"\x07" * 32)
    one, two = both_ways(filled)
    assert one == two and not one["ok"]
    first = one["problems"][0]
    assert (first["check"], first["level"], first["index"]) == ("tree", level, index)


def test_a_missing_entry_before_the_cut_falls_back_to_one_pass(filled) -> None:  # type: ignore[no-untyped-def]
    drop_guards(filled.engine)
    execute(filled.engine, "DELETE FROM entry_categories WHERE seq = 3")
    execute(filled.engine, "DELETE FROM audit_log WHERE seq = 3")
    one, two = both_ways(filled)
    assert one == two and one["problems"][0]["kind"] == "missing"
