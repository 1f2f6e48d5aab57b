"""Verifying in two halves (two processes) gives exactly the answer of one pass.

The two-core path is forced on small stores here (`parallel_from=2`); by default it starts at
twice the entries the worker's start is worth. The cut lies past the middle by that many, at most
a quarter of the log: seq 10 of the 13 entries here.
"""

from __future__ import annotations

import pytest
from scenario import ml_history
from tamper import drop_guards, execute
from tamper_tree import drop_tree_guards, set_node

from lineage.merkle import parallel
from lineage.merkle.check import Snapshot, snapshot
from lineage.merkle.heads import sign_head
from lineage.merkle.layout import nodes_for_size
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


@pytest.mark.parametrize("seq", [2, 9, 10, 13])  # before, at and after the cut (seq 10)
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


@pytest.mark.parametrize(("level", "index"), [(3, 0), (0, 8), (0, 10), (2, 1)])
def test_an_altered_node_anywhere_is_reported_as_by_one_pass(filled, level, index) -> None:  # type: ignore[no-untyped-def]
    """(3, 0) and (0, 8) are the frontier where the second half starts (after 9 leaves)."""
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


@pytest.mark.parametrize(
    ("last", "minimum", "lead", "cut"),
    [
        (100_000, 30_000, 15_000, 57_501),  # this process takes `lead` more than the worker
        (10_000, 10_000, 5_000, 7_501),  # the lead capped: the worker keeps a quarter
        (13, 2, 5_000, 10),
        (13, 2, 0, 7),  # no lead: the middle
        (9_999, 10_000, 5_000, None),  # below the minimum: one pass
    ],
)
def test_the_cut_lies_past_the_middle_by_the_workers_start(
    last: int, minimum: int, lead: int, cut: int | None
) -> None:
    snap = Snapshot(last_seq=last, stored_nodes=nodes_for_size(last), last_head_id=0)
    assert parallel._cut(snap, minimum, lead) == cut


def test_by_default_the_log_splits_from_twice_the_workers_start(
    filled, kit, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    started: list[int] = []
    start = parallel._start

    def spied(target, cut, snap):  # type: ignore[no-untyped-def]
        started.append(cut)
        return start(target, cut, snap)

    monkeypatch.setattr(parallel, "_start", spied)
    monkeypatch.setattr(
        parallel, "WORKER_START_ENTRIES", dict.fromkeys(("sqlite", "postgresql", "forked"), 7)
    )
    assert verify_log(filled.engine).ok and started == []  # 13 entries, under 14
    filled.ingest([kit.event("one-more", "job", time="2026-03-02T00:00:00Z")])
    assert verify_log(filled.engine).ok and started == [11]  # 14 entries: 7 past the middle
