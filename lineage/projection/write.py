"""Store a batch's outcome: one insert or executemany per table, children after parents (on
PostgreSQL the tables with many rows first, by COPY, then the rest in one round trip)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Table

from lineage.models import (
    DataAccess,
    Dataset,
    DatasetVersion,
    Deployment,
    Evaluation,
    Run,
    RunInput,
    RunOutput,
)
from lineage.projection.load import RUN_COLUMNS
from lineage.projection.ml import recompute_intervals
from lineage.projection.sql import COPY_ROWS, Row, Sql, rows_insert_sql, update_sql
from lineage.projection.state import BatchState

VERSION_INSERT = ("dataset_id", "version", "created_at", "run_id", "seq", "facets")
VERSION_KEY = ("dataset_id", "version")
EDGE_INSERT = ("run_id", "version_id", "event_time", "seq")
ACCESS_INSERT = ("seq", "dataset_id", "version_id", "run_id", "actor_id", "action", "event_time")
EVALUATION_INSERT = (
    "seq", "run_id", "model_dataset_id", "model_version_id", "metrics", "checks", "event_time",
)  # fmt: skip
DEPLOYMENT_INSERT = (
    "seq", "run_id", "environment", "model_dataset_id", "model_version_id", "action",
    "previous_version", "target", "valid_from", "valid_to", "actor_id",
)  # fmt: skip
EDGE_TABLES = {"run_inputs": RunInput.__table__, "run_outputs": RunOutput.__table__}
Resolve = Callable[[int | None], int | None]
# (table, columns, rows) to insert, or (update statement, None, rows) to execute.
Statement = tuple[Table | str, tuple[str, ...] | None, list[Row]]


def column_json(value: Any) -> str:
    # Text that SQLAlchemy's JSON type reads back as `value`. orjson writes it in under a third
    # of the stdlib's time; it refuses only an int past 64 bits, which the stdlib then writes.
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value)


def write_state(sql: Sql, state: BatchState) -> None:
    ids, claimed = _write_versions(sql, state)

    def version(id_: int | None) -> int | None:
        """The stored id of a version created in memory (negative id) in this batch."""
        return ids[id_] if id_ is not None and id_ < 0 else id_

    statements = [claimed, *_datasets(state), *_runs(state), *_rows(state, version)]
    # PostgreSQL: the tables with many rows COPY one by one (COPY cannot run in a pipeline), then
    # every other statement goes in one round trip. Their order may change: none reads rows
    # another writes (their foreign keys point at datasets, versions, jobs and actors, written
    # before; the version-edge triggers of run_inputs and run_outputs match either order).
    copied = [_copied(sql, statement) for statement in statements]
    for statement, copy in zip(statements, copied, strict=True):
        if copy:
            _execute(sql, statement)
    with sql.pipeline():
        for statement, copy in zip(statements, copied, strict=True):
            if not copy:
                _execute(sql, statement)


def _copied(sql: Sql, statement: Statement) -> bool:
    target, _, rows = statement
    return sql.psycopg3 and not isinstance(target, str) and len(rows) >= COPY_ROWS


def _execute(sql: Sql, statement: Statement) -> None:
    target, columns, rows = statement
    if isinstance(target, str):
        sql.many(target, rows)
    elif rows:
        # The version-edge triggers of run_inputs and run_outputs run for each row on SQLite.
        edges = target.name in EDGE_TABLES
        sql.insert(target, columns or (), rows, row_triggers=edges)


def _write_versions(sql: Sql, state: BatchState) -> tuple[dict[int, int], Statement]:
    """Insert new versions; their stored ids by the ids used in memory, and the update of the
    versions claimed by a producer (for the caller to run with its other writes)."""
    created = state.versions.created
    rows = [
        (v.dataset_id, v.version, v.created_at, v.run_id, v.seq, column_json(v.facets or {}))
        for v in created
    ]
    table = DatasetVersion.__table__
    stored = _insert_versions(sql, state, rows)
    changed = [
        (v.run_id, v.created_at, v.seq, column_json(v.facets or {}), v.id)
        for v in state.versions.by_key.values()
        if v.changed and v.id > 0
    ]
    claimed = (update_sql(table, ("run_id", "created_at", "seq", "facets")), None, changed)
    return {v.id: stored[(v.dataset_id, v.version)] for v in created}, claimed


def _insert_versions(sql: Sql, state: BatchState, rows: list[Row]) -> dict[Row, int]:
    """The new versions' stored ids by (dataset id, version), in creation order."""
    first = state.next_version_id
    if first is None or not rows:
        return sql.insert_keyed(DatasetVersion.__table__, VERSION_INSERT, rows, VERSION_KEY)
    ids = range(first, first + len(rows))
    numbered = [value for id_, row in zip(ids, rows, strict=True) for value in (id_, *row)]
    sql.many(_numbered_versions_sql(len(rows)), [numbered])
    return {row[:2]: id_ for id_, row in zip(ids, rows, strict=True)}


@lru_cache(maxsize=64)
def _numbered_versions_sql(count: int) -> str:
    """Insert `count` versions with their ids, and leave the sequence where nextval would have:
    one statement, which a pipeline sends without waiting."""
    insert = rows_insert_sql(DatasetVersion.__table__, ("id", *VERSION_INSERT), count)
    return (
        f"WITH new AS ({insert} RETURNING id) SELECT setval("
        "pg_get_serial_sequence('dataset_versions', 'id'), (SELECT max(id) FROM new))"
    )


def _datasets(state: BatchState) -> list[Statement]:
    changed = [
        (row.kind, row.deleted_at, dataset_id)
        for dataset_id, row in state.dataset_rows.items()
        if (row.kind, row.deleted_at) != (row.stored or ("DATASET", None))
    ]
    return [(update_sql(Dataset.__table__, ("kind", "deleted_at")), None, changed)]


def _runs(state: BatchState) -> list[Statement]:
    new: list[Row] = []
    updated: list[Row] = []
    for run_id, run in state.runs.items():
        values = [column_json(run[c]) if c == "facets" else run[c] for c in RUN_COLUMNS]
        if run_id in state.stored_runs:
            updated.append((*values[1:], run_id))
        else:
            new.append(tuple(values))
    update = update_sql(Run.__table__, tuple(RUN_COLUMNS[1:]), key="run_id")
    return [(Run.__table__, tuple(RUN_COLUMNS), new), (update, None, updated)]


def _rows(state: BatchState, version: Resolve) -> list[Statement]:
    """Edges, data access, evaluations and deployments, with stored version ids."""
    statements: list[Statement] = [
        (EDGE_TABLES[name], EDGE_INSERT, [(r, version(v), t, s) for r, v, t, s in edges])
        for name, edges in state.new_edges.items()
    ]
    demoted = [("modify", id_) for id_ in state.demoted]
    statements.append((update_sql(DataAccess.__table__, ("action",)), None, demoted))
    access = [
        (a.seq, a.dataset_id, version(a.version_id), a.run_id, a.actor_id, a.action, a.event_time)
        for a in state.access
    ]
    statements.append((DataAccess.__table__, ACCESS_INSERT, access))
    evaluations = [
        (seq, run, model, version(node), column_json(metrics), column_json(checks), when)
        for seq, run, model, node, metrics, checks, when in state.evaluations
    ]
    statements.append((Evaluation.__table__, EVALUATION_INSERT, evaluations))
    changes: list[Row] = list(recompute_intervals(state))
    deployments = [
        tuple(version(d[c]) if c == "model_version_id" else d[c] for c in DEPLOYMENT_INSERT)
        for d in state.deployments
    ]
    statements.append((Deployment.__table__, DEPLOYMENT_INSERT, deployments))
    statements.append((update_sql(Deployment.__table__, ("valid_to",)), None, changes))
    return statements
