"""The append's combined reads: what one round trip brings back must be what separate reads would.

A wrong server-computed frontier would not break an append (it falls back to reading the nodes
by position), so these tests compare the reads themselves; and the projection's lookups sent
ahead of the append must give the same tables as looking up after it, duplicates included.
"""

from __future__ import annotations

from sqlalchemy import text

from lineage.append import STATE_SQL, read_state
from lineage.merkle.layout import position, subtrees
from lineage.merkle.tree import read_nodes, stored_size
from lineage.store import AuditStore


def _events(kit, tag: str, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        kit.event(
            f"{tag}-{i}",
            "train",
            time=f"2026-03-01T00:00:{i % 60:02d}Z",
            inputs=[kit.dataset("features", f"v{i}")],
            outputs=[kit.dataset("model", f"m{tag}{i}", model=True)],
            actor=f"person-{i % 3}@example.com",
        )
        for i in range(count)
    ]


def test_the_frontier_read_with_the_head_is_the_trees_frontier(store: AuditStore, kit) -> None:  # type: ignore[no-untyped-def]
    """Every size from 1 to 40, then a batch across a power of two (63 -> 70)."""
    sizes = [*range(1, 41), 63, 70]
    done = 0
    for size in sizes:
        store.ingest(_events(kit, f"s{size}", size - done))
        done = size
        with store.engine.connect() as conn:
            reads = read_state(conn, [])
            nodes = subtrees(0, size)
            assert reads.head[0] == size
            assert stored_size(conn) == (size, True) and reads.tree_current
            if store.dialect == "postgresql":  # SQLite reads the nodes in the append instead
                expected = {
                    position(*node): digest for node, digest in read_nodes(conn, nodes).items()
                }
                assert {pos: bytes(d) for pos, d in reads.tree[1].items()} == expected
                assert len(expected) == len(nodes)


def test_lookups_sent_ahead_match_looking_up_after_the_append(db_url: str, kit, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Small batches (looked up ahead on PostgreSQL) with duplicates, against one large batch
    of the same events (looked up after the append, COPY on PostgreSQL): the same tables."""
    events = _events(kit, "d", 12)
    small = AuditStore.open(db_url)
    small.ingest(events[:2])
    small.ingest(events[1:4])  # one duplicate: the new ones are looked up again
    small.ingest([events[4], events[4]])  # the same event twice in one batch
    for event in events[5:]:
        small.ingest([event])
    large = AuditStore.open(f"sqlite:///{tmp_path / 'large.db'}")
    large.ingest(events * 3)  # >= 32 events: no lookups ahead
    assert _tables(small) == _tables(large)
    small.close()
    large.close()


def _tables(store: AuditStore) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    queries = {
        "runs": "SELECT r.run_id, j.name, r.state, r.first_seq, r.last_seq, a.name FROM runs r "
        "JOIN jobs j ON j.id = r.job_id LEFT JOIN actors a ON a.id = r.actor_id",
        "inputs": "SELECT i.run_id, d.name, v.version, i.seq FROM run_inputs i "
        "JOIN dataset_versions v ON v.id = i.version_id JOIN datasets d ON d.id = v.dataset_id",
        "outputs": "SELECT o.run_id, d.name, v.version, v.run_id, o.seq FROM run_outputs o "
        "JOIN dataset_versions v ON v.id = o.version_id JOIN datasets d ON d.id = v.dataset_id",
        "access": "SELECT a.seq, d.name, a.action, a.run_id FROM data_access a "
        "JOIN datasets d ON d.id = a.dataset_id",
        "datasets": "SELECT namespace, name, kind FROM datasets",
        "vault": "SELECT pseudonym FROM privacy_vault",
    }
    with store.engine.connect() as conn:
        return {
            name: sorted(tuple(row) for row in conn.execute(text(sql)))
            for name, sql in queries.items()
        }


def test_the_head_read_never_sorts_the_log(pg_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    """The head comes from the end of the seq index, whatever the log's size: a sort means the
    statement orders by something no index holds (it once sorted the whole log per append)."""
    store = AuditStore.open(pg_url)
    store.ingest(_events(kit, "h", 5))
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SET LOCAL enable_sort = off")  # a sort it cannot avoid stays
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("EXPLAIN " + STATE_SQL)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    store.close()
    assert "Sort" not in plan, plan


def test_the_state_read_keeps_its_plan(pg_url: str, kit) -> None:  # type: ignore[no-untyped-def]
    """One-event appends reuse one plan of the head, top and frontier read: with a parameter in
    it the server planned it again for every append (three quarters of its time there)."""
    store = AuditStore.open(pg_url)
    for event in _events(kit, "p", 12):  # psycopg prepares a statement at its fifth execution
        store.ingest([event])
    with store.engine.connect() as conn:  # the pool's one connection, which ran the appends
        plans = conn.exec_driver_sql(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE strpos(statement, 'FROM merkle_nodes WHERE pos IN') > 0"
        ).all()
    store.close()
    assert len(plans) == 1, plans
    generic, custom = plans[0]
    assert generic >= 6 and custom == 0, plans[0]
