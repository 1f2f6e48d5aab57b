"""The fast pass of verify: byte-identical entry bytes, and never "clean" on a tampered log.

Whatever the fast pass calls not clean goes to the detailed pass, so these tests hold the one
thing it must not do: let a change through. Each tamper is tried on one pass and on two halves
(`minimum=2` forces the worker on these small stores).
"""

from __future__ import annotations

import pytest
from scenario import ml_history
from tamper import drop_guards, execute
from tamper_tree import drop_tree_guards, set_node

from lineage import chain
from lineage.chain import entry_bytes, entry_header
from lineage.db import create_store_engine
from lineage.merkle import fastscan
from lineage.merkle.check import snapshot
from lineage.merkle.fastscan import entries_sql, entry_data, entry_head, entry_pages
from lineage.merkle.parallel import scan_fast, scan_half
from lineage.merkle.tree import NODES
from lineage.models import LogEntry

TEXTS = ["plain", 'quo"te', "back\\slash", "line\nfeed\ttab\r\b\f", "\x00\x01\x1f\x7f", "é€😀", ""]
WAYS = [10**9, 2]  # one pass, two halves


@pytest.mark.parametrize("text", TEXTS)
def test_entry_data_is_the_chains_entry_bytes(text: str) -> None:
    for submitter in (None, text):
        header = entry_header(
            seq=12, key=text, received_at=text, submitter=submitter, normalizations=text
        )
        expected = entry_bytes(header, '{"x":"' + text + '"}')
        got = entry_data(12, text, text, submitter, text, '{"x":"' + text + '"}')
        assert got == expected


def test_the_fast_pass_reads_entry_data_from_the_databases(db_url: str) -> None:
    """The fast pass's rows give `entry_data`'s bytes for every character class (PostgreSQL text
    cannot hold NUL): the payload handed over as its UTF-8 bytes, NULL submitters JSON null."""
    engine = create_store_engine(db_url)
    postgres = engine.dialect.name == "postgresql"
    texts = [t.replace("\x00", "") if postgres else t for t in TEXTS]
    rows = [(i, t, t, t if i % 2 else None, t, '{"x":"' + t + '"}') for i, t in enumerate(texts, 1)]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE probe (seq INTEGER, key TEXT, received_at TEXT, "
            "submitter TEXT, normalizations TEXT, payload TEXT, prev_hash TEXT, entry_hash TEXT)"
        )
        mark = "%s" if postgres else "?"
        conn.exec_driver_sql(f"INSERT INTO probe VALUES ({', '.join([mark] * 6)}, 'p', 'e')", rows)
        sql = entries_sql(postgres, 1, len(rows), table="probe")
        pages = entry_pages(conn.connection.dbapi_connection, postgres, sql)
        read = [row for page in pages for row in page]
    engine.dispose()
    built = [
        entry_head(seq, key, at, who, norm) + payload
        for seq, key, norm, at, who, payload, *_ in read
    ]
    assert all(isinstance(row[5], bytes) for row in read)
    assert built == [entry_data(*row) for row in rows]


def test_constants_are_the_models() -> None:
    assert fastscan.GENESIS_HASH == chain.GENESIS_HASH
    assert (LogEntry.__tablename__, NODES.name) == (fastscan.LOG_TABLE, fastscan.NODE_TABLE)


@pytest.fixture
def filled(store, kit):  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    store.ingest([kit.event(f"more-{i}", "job", time="2026-03-01T00:00:00Z") for i in range(3)])
    return store


def fast(store, minimum: int):  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn, conn.begin():
        return scan_fast(store.engine, conn, snapshot(conn), minimum)


@pytest.mark.parametrize("minimum", WAYS)
def test_clean_log_gives_what_the_detailed_pass_gives(filled, minimum: int) -> None:  # type: ignore[no-untyped-def]
    with filled.engine.connect() as conn, conn.begin():
        snap = snapshot(conn)
        detailed = scan_half(conn, 1, snap.last_seq, snap.stored_nodes)
    half = fast(filled, minimum)
    assert half is not None and half.clean and detailed.clean
    got = (half.chain.entries, half.chain.head_seq, half.chain.head_hash)
    assert got == (detailed.chain.entries, detailed.chain.head_seq, detailed.chain.head_hash)
    assert half.tree.frontier.roots == detailed.tree.frontier.roots
    assert half.tree.frontier.size == detailed.tree.frontier.size == 13


LOG_TAMPERS = {
    "payload": "UPDATE audit_log SET payload = replace(payload, 'COMPLETE', 'FAIL') WHERE seq = :s",
    "prev-hash-only": "UPDATE audit_log SET prev_hash = entry_hash WHERE seq = :s",
    "entry-hash": "UPDATE audit_log SET entry_hash = prev_hash WHERE seq = :s",
    "submitter": "UPDATE audit_log SET submitter = 'mallory' WHERE seq = :s",
    "received-at": "UPDATE audit_log SET received_at = '2020-01-01T00:00:00Z' WHERE seq = :s",
}


@pytest.mark.parametrize("minimum", WAYS)
@pytest.mark.parametrize("seq", [1, 6, 7, 13])  # around the cut (seq 7) and both ends
@pytest.mark.parametrize("tamper", sorted(LOG_TAMPERS))
def test_any_entry_change_is_not_clean(filled, tamper: str, seq: int, minimum: int) -> None:  # type: ignore[no-untyped-def]
    drop_guards(filled.engine)
    execute(filled.engine, LOG_TAMPERS[tamper], s=seq)
    assert fast(filled, minimum) is None


@pytest.mark.parametrize("minimum", WAYS)
@pytest.mark.parametrize("seq", [3, 6, 7, 12])  # the last entry's removal is the tree report's
def test_a_missing_entry_is_not_clean(filled, seq: int, minimum: int) -> None:  # type: ignore[no-untyped-def]
    drop_guards(filled.engine)
    execute(filled.engine, "DELETE FROM entry_categories WHERE seq = :s", s=seq)
    execute(filled.engine, "DELETE FROM audit_log WHERE seq = :s", s=seq)
    assert fast(filled, minimum) is None


@pytest.mark.parametrize("minimum", WAYS)
@pytest.mark.parametrize(("level", "index"), [(0, 0), (2, 1), (1, 2), (0, 12), (3, 0)])
def test_any_node_change_is_not_clean(filled, level: int, index: int, minimum: int) -> None:  # type: ignore[no-untyped-def]
    drop_tree_guards(filled.engine)
    set_node(filled.engine, level, index, b"\x07" * 32)
    assert fast(filled, minimum) is None


@pytest.mark.parametrize("minimum", WAYS)
def test_a_missing_node_is_not_clean(filled, minimum: int) -> None:  # type: ignore[no-untyped-def]
    drop_tree_guards(filled.engine)
    execute(filled.engine, "DELETE FROM merkle_nodes WHERE pos = 9")
    assert fast(filled, minimum) is None
