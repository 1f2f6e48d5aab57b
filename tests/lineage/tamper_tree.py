"""Tamper with the Merkle tree and the signed heads behind the store's back (see tamper.py)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from lineage.chain import chain_hash
from lineage.merkle.entries import entries_bytes
from lineage.merkle.layout import nodes_for_size, position
from lineage.merkle.tree import backfill

TREE_TABLES = ("merkle_nodes", "tree_heads")


def drop_tree_guards(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in TREE_TABLES:
            if engine.dialect.name == "sqlite":
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_no_change ON {table}"))


def set_node(engine: Engine, level: int, index: int, digest: bytes) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE merkle_nodes SET hash = :h WHERE pos = :p"),
            {"h": digest, "p": position(level, index)},
        )


def cut_log_tail(engine: Engine, keep: int) -> None:
    """Remove every entry after `keep` (the attacker's truncation); needs drop_guards first."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM entry_categories WHERE seq > :k"), {"k": keep})
        conn.execute(text("DELETE FROM audit_log WHERE seq > :k"), {"k": keep})


def cut_tree_tail(engine: Engine, keep: int) -> None:
    """Remove the tree's nodes beyond a tree of `keep` leaves, so the tree matches a cut log."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM merkle_nodes WHERE pos >= :n"), {"n": nodes_for_size(keep)})


def rewrite_history(engine: Engine, seq: int, old: str, new: str) -> None:
    """The thorough attacker: edit entry `seq`, re-chain every later entry, rebuild the tree.

    Chain and tree are then self-consistent; only a signed head kept elsewhere can tell.
    Needs both drop_guards and drop_tree_guards first.
    """
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET payload = replace(payload, :o, :n) WHERE seq = :s"),
            {"o": old, "n": new, "s": seq},
        )
        last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
        prev = conn.execute(
            text("SELECT prev_hash FROM audit_log WHERE seq = :s"), {"s": seq}
        ).scalar_one()
        for number, data in enumerate(entries_bytes(conn, seq - 1, last), start=seq):
            digest = chain_hash(prev, data)
            conn.execute(
                text("UPDATE audit_log SET prev_hash = :p, entry_hash = :h WHERE seq = :s"),
                {"p": prev, "h": digest, "s": number},
            )
            prev = digest
        conn.execute(text("DELETE FROM merkle_nodes"))
        backfill(conn)
