"""retention: legal holds, archived segments, and a log guard that lets archived rows go

Revision ID: 0008
Revises: 0007

The log's guards from 0002 keep their names but now let a DELETE through for a row inside a
recorded archived segment; every UPDATE, every other DELETE and TRUNCATE are still refused.
`archived_segments` itself is append-only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LOG_TABLES = ("audit_log", "entry_categories")
INSIDE_SEGMENT = (
    "EXISTS (SELECT 1 FROM archived_segments s "
    "WHERE OLD.seq >= s.first_seq AND OLD.seq < s.end_seq)"
)


def upgrade() -> None:
    _create_tables()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_guards()
    else:
        _postgres_guards()


def _create_tables() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("since", sa.String(length=32), nullable=True),
        sa.Column("until", sa.String(length=32), nullable=True),
        sa.Column("subject", sa.String(length=1024), nullable=True),
        sa.Column("placed_at", sa.String(length=32), nullable=False),
        sa.Column("placed_by", sa.String(length=128), nullable=False),
        sa.Column("placed_seq", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.String(length=32), nullable=True),
        sa.Column("released_by", sa.String(length=128), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("released_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_holds_released_at", "legal_holds", ["released_at"])
    op.create_table(
        "archived_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("end_seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("leaves_root", sa.String(length=64), nullable=False),
        sa.Column("head_size", sa.BigInteger(), nullable=False),
        sa.Column("head_root", sa.String(length=64), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("archived_at", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _sqlite_guards() -> None:
    for table in LOG_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN NOT {INSIDE_SEGMENT} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused outside an "
            "archived segment'); END"
        )
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER archived_segments_no_{verb.lower()} BEFORE {verb} "
            f"ON archived_segments BEGIN SELECT RAISE(ABORT, "
            f"'archived_segments is append-only: {verb} refused'); END"
        )


def _postgres_guards() -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION mlaudit_refuse_unarchived_change() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND {INSIDE_SEGMENT} THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '% is append-only: % refused outside an archived segment',
                TG_TABLE_NAME, TG_OP;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table in LOG_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION mlaudit_refuse_unarchived_change()"
        )
    # mlaudit_refuse_change() comes from revision 0002.
    op.execute(
        "CREATE TRIGGER archived_segments_no_change BEFORE UPDATE OR DELETE ON archived_segments "
        "FOR EACH ROW EXECUTE FUNCTION mlaudit_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER archived_segments_no_truncate BEFORE TRUNCATE ON archived_segments "
        "FOR EACH STATEMENT EXECUTE FUNCTION mlaudit_refuse_change()"
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in LOG_TABLES:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mlaudit_refuse_change()"
            )
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS mlaudit_refuse_unarchived_change()")
    op.drop_table("archived_segments")  # its own triggers go with it
    op.drop_index("ix_legal_holds_released_at", "legal_holds")
    op.drop_table("legal_holds")
