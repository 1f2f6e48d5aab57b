"""edge_triggers_planned_per_call: PostgreSQL plans the edge triggers' join at every insert

Revision ID: 0014
Revises: 0013

The statement triggers of 0010/0013 join the inserted rows (a transition table) to the other
side of the run. PL/pgSQL plans a statement once per connection and keeps the plan, and a
statement without parameters never gets a custom plan again; the planner sizes a transition
table by the rows it holds when planning. So a connection whose first inserts came from a bulk
load (1,000 rows a COPY) kept a hash join that reads all of `run_outputs` or `run_inputs`, and
used it for every later one-event insert: on a 300,000-event store, 8-35 ms an insert into
`run_inputs` (auto_explain: 0.03 ms in the insert itself, the rest in the trigger), one-event
ingest 5.7 / 17.4 ms median / p95 on those connections against 4.1 / 7.4 on new ones. Run
through EXECUTE, the statement is planned at every call for the rows it has (well under a
millisecond, once per insert statement, not per row): on the loading connections of the same
kind of store, 3.5 / 6.2 ms against 4.0 / 7.9 on new ones, and batch ingest unchanged (the
trigger functions' own time over a 100,000-event load, alternated: 0.69-0.89 s both ways).
SQLite's triggers are row by row and unchanged. Downgrading puts back the bodies of 0013.
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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace_functions(planned_per_call=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace_functions(planned_per_call=False)


def _replace_functions(*, planned_per_call: bool) -> None:
    """The triggers stay; their functions are replaced."""
    for table, new, other, other_column in SIDES:
        insert = _insert_edges(new, other, other_column)
        body = f"EXECUTE $edges$ {insert} $edges$" if planned_per_call else insert
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
