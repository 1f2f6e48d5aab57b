"""Read everything a planned batch names, then create the jobs, datasets and actors not stored.

Every lookup is keyed by natural keys (dataset namespace and name, not ids), so none waits for
another: on PostgreSQL they all travel in one round trip. Jobs, datasets and actors that do not
exist yet are inserted in the order the events first name them, with the values the first event
gives (as projecting one event at a time would). The writer lock is held, so a lookup followed
by an insert cannot race another writer.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from lineage.models import Actor, Dataset, Job
from lineage.projection.plan import EventPlan, Key
from lineage.projection.sql import Query, Row, Sql
from lineage.projection.state import Access, BatchState, DatasetRow, Version

RUN_COLUMNS = (
    "run_id", "job_id", "parent_run_id", "state", "started_at", "ended_at", "last_event_time",
    "actor_id", "facets", "first_seq", "last_seq",
)  # fmt: skip
DEPLOYMENT_COLUMNS = ("id", "model_dataset_id", "environment", "valid_from", "valid_to", "action")
TEXT = "VARCHAR"
EDGE_TABLES = ("run_inputs", "run_outputs")  # by the tag of the edges query's rows
# `q` holds (namespace, name, extra...); `d` is the stored dataset of each.
DATASET_OF = (
    "WITH q({columns}) AS ({{values}}) SELECT {selected} FROM q JOIN datasets d "
    "ON d.namespace = q.namespace AND d.name = q.name {more}"
)
NEWEST = (
    "(SELECT w.id FROM dataset_versions w WHERE w.dataset_id = d.id AND w.created_at <= q.at "
    "AND w.version <> '' ORDER BY w.created_at DESC, w.id DESC LIMIT 1)"
)
# There is at most one `create` per dataset; the order only lets the (dataset_id, event_time)
# index find it among the dataset's first rows instead of reading all of them.
FIRST_CREATE = (
    "(SELECT b.id FROM data_access b WHERE b.dataset_id = d.id AND b.action = 'create' "
    "ORDER BY b.event_time LIMIT 1)"
)


def _of_datasets(columns: str, selected: str, more: str = "") -> str:
    return DATASET_OF.format(columns=columns, selected=selected, more=more)


QUERIES = {
    "jobs": "WITH q(namespace, name) AS ({values}) SELECT t.id, t.namespace, t.name FROM q "
    "JOIN jobs t ON t.namespace = q.namespace AND t.name = q.name",
    "datasets": _of_datasets("namespace, name", "d.id, d.namespace, d.name, d.kind, d.deleted_at"),
    "actors": "SELECT id, name FROM actors WHERE name {in}",
    "runs": f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE run_id {{in}}",
    # Tagged with their table (0 inputs, 1 outputs): on PostgreSQL one statement for both.
    "run_inputs": "SELECT 0, run_id, version_id FROM run_inputs WHERE run_id {in}",
    "run_outputs": "SELECT 1, run_id, version_id FROM run_outputs WHERE run_id {in}",
    "versions": _of_datasets(
        "namespace, name, version",
        "t.id, t.dataset_id, t.version, t.created_at, t.run_id, t.seq",
        "JOIN dataset_versions t ON t.dataset_id = d.id AND t.version = q.version",
    ),
    "latest": _of_datasets(
        "namespace, name, at",
        "d.id, q.at, v.created_at, v.id",
        f"JOIN dataset_versions v ON v.id = {NEWEST}",
    ),
    "creates": _of_datasets(
        "namespace, name",
        "a.id, a.dataset_id, a.event_time",
        f"JOIN data_access a ON a.id = {FIRST_CREATE}",
    ),
    "deployments": _of_datasets(
        "namespace, name",
        ", ".join(f"e.{name}" for name in (*DEPLOYMENT_COLUMNS, "seq")),
        "JOIN deployments e ON e.model_dataset_id = d.id",
    ),
}


class Needs:
    """What a batch names, by natural key, in the order its events first name it."""

    def __init__(self, plans: list[EventPlan]) -> None:
        self.jobs: dict[Key, Row] = {}
        self.actors: dict[str, Row] = {}
        self.datasets: dict[Key, Row] = {}
        self.versions: dict[Row, None] = {}
        self.latest: dict[Row, None] = {}
        self.written: dict[Key, None] = {}
        self.deployed: dict[Key, None] = {}
        for plan in plans:
            self._add(plan)

    def _add(self, plan: EventPlan) -> None:
        if plan.job:
            self.jobs.setdefault(plan.job, (*plan.job, plan.job_type, plan.when))
        if plan.actor:
            self.actors.setdefault(plan.actor[0], (*plan.actor, plan.when))
        for ref in plan.datasets():
            self.datasets.setdefault(ref.key, (*ref.key, "DATASET", plan.when, None, "{}"))
            if ref.deleting:
                self.latest[(*ref.key, plan.when)] = None
            elif ref.version:
                self.versions[(*ref.key, ref.version)] = None
            elif plan.run_id:  # an input or model without a version: latest, else unversioned
                self.latest[(*ref.key, plan.when)] = None
                self.versions[(*ref.key, "")] = None
        if plan.run_id:
            self.written.update(dict.fromkeys(ref.key for ref in plan.outputs))
        if plan.deployment:
            self.deployed[plan.deployment[0].key] = None

    def queries(self, sql: Sql, run_ids: list[str]) -> list[Query]:
        def values(name: str, rows: Any, width: int) -> Query:
            return sql.join_values(QUERIES[name], list(rows), (TEXT,) * width)

        return [
            values("jobs", self.jobs, 2),
            values("datasets", self.datasets, 2),
            sql.where_in(QUERIES["actors"], list(self.actors)),
            sql.where_in(QUERIES["runs"], run_ids),
            _edges(sql, run_ids),
            values("versions", self.versions, 3),
            values("latest", self.latest, 3),
            values("creates", self.written, 2),
            values("deployments", self.deployed, 2),
        ]


def _edges(sql: Sql, run_ids: list[str]) -> Query:
    """The stored inputs and outputs of `run_ids`, rows tagged by table."""
    inputs = sql.where_in(QUERIES["run_inputs"], run_ids)
    outputs = sql.where_in(QUERIES["run_outputs"], run_ids)
    if not sql.postgres or not run_ids:
        return Query([*inputs.statements, *outputs.statements])
    (input_sql, params), (output_sql, more) = inputs.statements + outputs.statements
    return Query([(f"{input_sql} UNION ALL {output_sql}", [*params, *more])])


def lookups(sql: Sql, plans: list[EventPlan]) -> tuple[Needs, list[Query]]:
    """What the batch names, and the queries that read it (for callers that send them along
    with reads of their own: lineage.projection.Preload)."""
    needs = Needs(plans)
    run_ids = sorted({plan.run_id for plan in plans if plan.run_id})
    return needs, needs.queries(sql, run_ids)


def load_state(sql: Sql, plans: list[EventPlan]) -> BatchState:
    needs, queries = lookups(sql, plans)
    return state_from(sql, needs, sql.fetch(*queries))


def state_from(sql: Sql, needs: Needs, found: list[list[Row]]) -> BatchState:
    """The batch's state from the lookups' rows; creates the jobs, datasets, actors not stored."""
    jobs, datasets, actors, runs, edges, versions, latest, creates, deployed = found
    state = BatchState()
    state.jobs = {(namespace, name): id_ for id_, namespace, name in jobs}
    for id_, namespace, name, kind, deleted_at in datasets:
        state.datasets[(namespace, name)] = id_
        state.dataset_rows[id_] = DatasetRow(kind, deleted_at, (kind, deleted_at))
    state.actors = {name: id_ for id_, name in actors}
    _runs(state, runs)
    for table, run_id, version_id in edges:
        state.edges[EDGE_TABLES[table]].add((run_id, version_id))
    for row in versions:
        state.versions.add(Version(*row))
    for dataset_id, at, created_at, id_ in latest:
        state.versions.stored_latest[(dataset_id, at)] = (created_at, id_)
    state.versions.requery = partial(_latest_without, sql)
    for id_, dataset_id, event_time in creates:
        access = Access(None, dataset_id, None, None, None, "create", event_time, stored_id=id_)
        state.creates[dataset_id] = access
    columns = (*DEPLOYMENT_COLUMNS, "seq")
    state.stored_deployments = [dict(zip(columns, row, strict=True)) for row in deployed]
    _create_named(sql, state, needs)
    return state


def _runs(state: BatchState, rows: list[Row]) -> None:
    for row in rows:
        run = dict(zip(RUN_COLUMNS, row, strict=True))
        if isinstance(run["facets"], str):  # SQLite returns JSON text, psycopg parses it
            run["facets"] = json.loads(run["facets"])
        state.runs[run["run_id"]] = run
    state.stored_runs = set(state.runs)


def _create_named(sql: Sql, state: BatchState, needs: Needs) -> None:
    new_jobs = [row for key, row in needs.jobs.items() if key not in state.jobs]
    columns = ("namespace", "name", "job_type", "first_seen")
    state.jobs.update(sql.insert_keyed(Job.__table__, columns, new_jobs, columns[:2]))
    new_actors = [row for name, row in needs.actors.items() if name not in state.actors]
    ids = sql.insert_keyed(Actor.__table__, ("name", "kind", "first_seen"), new_actors, ("name",))
    state.actors.update({name: id_ for (name,), id_ in ids.items()})
    new_datasets = [row for key, row in needs.datasets.items() if key not in state.datasets]
    columns = ("namespace", "name", "kind", "created_at", "deleted_at", "facets")
    created = sql.insert_keyed(Dataset.__table__, columns, new_datasets, columns[:2])
    state.datasets.update(created)
    for dataset_id in created.values():
        state.dataset_rows[dataset_id] = DatasetRow("DATASET", None, None)


def _latest_without(sql: Sql, dataset_id: int, at: str, skip: list[int]) -> tuple[str, int] | None:
    """The newest stored version at `at` other than `skip` (ids read from the database just
    now: integers, safe to inline)."""
    query = (
        "SELECT created_at, id FROM dataset_versions WHERE dataset_id = ? AND created_at <= ? "
        f"AND version <> '' AND id NOT IN ({', '.join(map(str, skip))}) "
        "ORDER BY created_at DESC, id DESC LIMIT 1"
    )
    rows = sql.rows(query, [dataset_id, at])
    return (rows[0][0], rows[0][1]) if rows else None
