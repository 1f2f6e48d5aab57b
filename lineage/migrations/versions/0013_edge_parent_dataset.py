"""edge_parent_dataset: each derivation edge names its parent's dataset, indexed

Revision ID: 0013
Revises: 0012

The downstream walk (impact) looked up each reached version's children: one index probe per
version, one statement per breadth-first level. On PostgreSQL, the largest source of a 1M-event
store reaches 26,752 versions over 72 levels: 106 ms of probes and 45 ms of planning on the
server (Intel Xeon, PostgreSQL 15). Every version of a dataset the walk reaches is usually
reached too, so there the walk now finds the reachable datasets first (one recursive query over
hundreds of datasets) and reads the edges of those datasets in one range scan each; the
versions and their depths are then worked out from those edges (lineage.queries.graph_sql).
That needs the parent's dataset on the edge and an index that starts with it; the triggers of
0010 fill it from then on. SQLite keeps the walk by level (faster there: the primary key's range
scans, in process, no planning), so it gets the column, for one schema, and not the index.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLE = "version_edges"
DOWN_INDEX = "ix_version_edges_down"
DOWN_COLUMNS = [
    "parent_dataset_id", "event_time", "parent_version_id", "child_version_id", "child_dataset_id"
]  # fmt: skip
# (trigger table, column naming the new row's version, the other table, its version column)
SIDES = (
    ("run_inputs", "parent_version_id", "run_outputs", "child_version_id"),
    ("run_outputs", "child_version_id", "run_inputs", "parent_version_id"),
)
BACKFILL = f"""
    UPDATE {TABLE} SET parent_dataset_id =
        (SELECT dataset_id FROM dataset_versions WHERE id = {TABLE}.parent_version_id)
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLite adds a NOT NULL column only with a default; every row is filled just below and
    # every later one by the triggers. PostgreSQL sets NOT NULL once the rows are filled.
    column = "parent_dataset_id INTEGER" + (" NOT NULL DEFAULT 0" if sqlite else "")
    op.execute(f"ALTER TABLE {TABLE} ADD COLUMN {column}")
    op.execute(BACKFILL)
    if not sqlite:
        op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN parent_dataset_id SET NOT NULL")
    if not sqlite:  # SQLite's walk follows the primary key level by level (graph_sql)
        op.create_index(DOWN_INDEX, TABLE, DOWN_COLUMNS)
    _replace_triggers(sqlite, with_parent_dataset=True)
    if not sqlite:
        op.execute(f"ANALYZE {TABLE}")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _replace_triggers(sqlite, with_parent_dataset=False)
    if not sqlite:
        op.drop_index(DOWN_INDEX, table_name=TABLE)
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN parent_dataset_id")


def _insert_edges(new: str, other: str, other_column: str, rows: str | None, parent: bool) -> str:
    """The edges new rows of one side make with the other side's rows of the same run: the row
    NEW (SQLite, row by row), or every row of the transition table `rows` (PostgreSQL)."""
    n = "NEW" if rows is None else "n"
    child, parent_version = (
        (f"{n}.version_id", "o.version_id")
        if new == "child_version_id"
        else ("o.version_id", f"{n}.version_id")
    )
    joins = f"JOIN dataset_versions dv ON dv.id = {child}"
    if parent:
        joins += f" JOIN dataset_versions pv ON pv.id = {parent_version}"
    source = f"{other} o {joins} WHERE o.run_id = NEW.run_id"
    if rows is not None:
        source = f"{rows} n JOIN {other} o ON o.run_id = n.run_id {joins} WHERE true"
    columns = "run_id, event_time, child_dataset_id" + (", parent_dataset_id" if parent else "")
    values = "dv.dataset_id" + (", pv.dataset_id" if parent else "")
    return f"""
        INSERT INTO {TABLE} ({new}, {other_column}, {columns})
        SELECT {n}.version_id, o.version_id, {n}.run_id,
               CASE WHEN {n}.event_time > o.event_time THEN {n}.event_time ELSE o.event_time END,
               {values}
        FROM {source}
        ON CONFLICT DO NOTHING
    """


def _replace_triggers(sqlite: bool, *, with_parent_dataset: bool) -> None:
    """The triggers of 0010, filling `parent_dataset_id` or (downgrading) not."""
    for table, new, other, other_column in SIDES:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_version_edges")
            insert = _insert_edges(new, other, other_column, None, with_parent_dataset)
            op.execute(
                f"CREATE TRIGGER {table}_version_edges AFTER INSERT ON {table} BEGIN {insert}; END"
            )
            continue
        # The trigger stays; its function is replaced (statement triggers over the inserted rows).
        insert = _insert_edges(new, other, other_column, "inserted", with_parent_dataset)
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION mlaudit_{table}_version_edges() RETURNS trigger AS $$
            BEGIN
                {insert};
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
