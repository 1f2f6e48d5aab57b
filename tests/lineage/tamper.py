"""Tamper with the log behind the store's back, as an attacker with database access would."""

from __future__ import annotations

from sqlalchemy import Engine, text


def drop_guards(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for table in ("audit_log", "entry_categories"):
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        else:
            for table in ("audit_log", "entry_categories"):
                conn.execute(text(f"DROP TRIGGER {table}_no_change ON {table}"))


def execute(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)
