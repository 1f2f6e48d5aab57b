"""edge_triggers_planned_by_size: PostgreSQL's edge triggers keep no bulk plan for small inserts

Revision ID: 0014
Revises: 0013

The statement triggers of 0010/0013 join the inserted rows (a transition table) to the other
side of the run. PL/pgSQL plans a statement once per connection and keeps the plan until the
tables' statistics change, and the planner sizes a transition table by the rows it holds when
planning. So a connection whose first inserts came from a bulk load (1,000 rows a COPY) kept a
hash join that reads all of `run_outputs` or `run_inputs`, and used it for every later one-event
insert: on a 300,000-event store, 8-35 ms an insert into `run_inputs` (auto_explain: 0.03 ms in
the insert itself, the rest in the trigger), one-event ingest 5.5 / 16.6 ms median / p95 on
those connections against 4.0 / 5.9 on new ones.

Now an insert of FEW_ROWS rows or more (the projection's COPY) runs the join through EXECUTE,
planned for its own rows (well under a millisecond, once per 1,000-event batch), and a smaller
one (an event's few rows) runs it as a statement of its own, whose kept plan was made for a
small insert. Planning every insert was tried first: it fixed the loading connections (3.5 /
6.2 ms) but cost each one-event ingest two plannings of a four-table join, about 1.2 ms (a
training-run event into a fresh store, 600 events, alternated twice: 3.37 / 3.82 ms with 0013's
triggers, 4.69 / 4.86 planning every insert, 3.49 / 3.39 with these). SQLite's triggers are row
by row and unchanged. Downgrading puts back the bodies of 0013.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLE = "version_edges"
# (trigger table, column naming the new row's version, the other table, its version column)
SIDES = (
    ("run_inputs", "parent_version_id", "run_outputs", "child_version_id"),
    ("run_outputs", "child_version_id", "run_inputs", "parent_version_id"),
)
FEW_ROWS = 32  # the projection COPYs this many rows or more (COPY_ROWS when this was written)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace_functions(by_size=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace_functions(by_size=False)


def _replace_functions(*, by_size: bool) -> None:
    """The triggers stay; their functions are replaced."""
    for table, new, other, other_column in SIDES:
        insert = _insert_edges(new, other, other_column)
        body = insert
        if by_size:
            body = f"""
                IF EXISTS (SELECT FROM inserted OFFSET {FEW_ROWS - 1}) THEN
                    EXECUTE $edges$ {insert} $edges$;
                ELSE
                    {insert};
                END IF"""
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION mlaudit_{table}_version_edges() RETURNS trigger AS $$
            BEGIN
                {body};
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )


def _insert_edges(new: str, other: str, other_column: str) -> str:
    """The edges the inserted rows (`inserted`) make with the other side's rows of their run."""
    child, parent = (
        ("n.version_id", "o.version_id") if new == "child_version_id" else
        ("o.version_id", "n.version_id")
    )  # fmt: skip
    return f"""
        INSERT INTO {TABLE} ({new}, {other_column}, run_id, event_time, child_dataset_id,
                             parent_dataset_id)
        SELECT n.version_id, o.version_id, n.run_id,
               CASE WHEN n.event_time > o.event_time THEN n.event_time ELSE o.event_time END,
               dv.dataset_id, pv.dataset_id
        FROM inserted n JOIN {other} o ON o.run_id = n.run_id
        JOIN dataset_versions dv ON dv.id = {child}
        JOIN dataset_versions pv ON pv.id = {parent}
        ON CONFLICT DO NOTHING
    """
