"""compliance_reports: signed compliance reports, append-only like the log

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "compliance_reports"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period_since", sa.String(32), nullable=False),
        sa.Column("period_until", sa.String(32), nullable=False),
        sa.Column("generated_at", sa.String(32), nullable=False),
        sa.Column("generated_by", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("head_size", sa.BigInteger(), nullable=True),
        sa.Column("head_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_index("ix_compliance_reports_period_since", TABLE, ["period_since"])
    op.create_index("ix_compliance_reports_period_until", TABLE, ["period_until"])
    _guard()


def _guard() -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), as 0002 does for the log."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {verb} refused'); END"
            )
        return
    # mlaudit_refuse_change() comes from revision 0002.
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION mlaudit_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION mlaudit_refuse_change()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
    op.drop_index("ix_compliance_reports_period_until", table_name=TABLE)
    op.drop_index("ix_compliance_reports_period_since", table_name=TABLE)
    op.drop_table(TABLE)
