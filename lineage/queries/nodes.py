"""Load the rows behind a set of graph nodes: versions, runs, edges, actors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Result, TextClause, bindparam, text

from lineage.projection.sql import Sql, pg_array

CHUNK = 900  # below SQLite's bound-parameter limit

VERSIONS = text(
    """
    SELECT v.id, v.version, v.created_at, v.run_id, d.id AS dataset_id, d.namespace, d.name,
           d.kind, d.deleted_at
    FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
    WHERE v.id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))

RUNS_OF = """
    SELECT r.run_id, j.namespace AS job_namespace, j.name AS job_name, r.state, r.started_at,
           r.ended_at, r.last_event_time, r.parent_run_id, {facets}
           COALESCE(a.name, pa.name) AS actor, COALESCE(a.kind, pa.kind) AS actor_kind
    FROM runs r
    JOIN jobs j ON j.id = r.job_id
    LEFT JOIN actors a ON a.id = r.actor_id
    LEFT JOIN runs p ON p.run_id = r.parent_run_id
    LEFT JOIN actors pa ON pa.id = p.actor_id
    WHERE r.run_id IN :ids
"""
RUNS = text(RUNS_OF.format(facets="r.facets,")).bindparams(bindparam("ids", expanding=True))
# Without the facets: an impact lists thousands of runs and shows none of their facets, whose
# JSON was most of the bytes read and the time spent parsing.
RUN_SUMMARIES = text(RUNS_OF.format(facets="")).bindparams(bindparam("ids", expanding=True))


def chunked_rows(
    conn: Connection, query: TextClause, ids: Iterable[Any], **params: Any
) -> list[dict[str, Any]]:
    """Rows of `query` (`... IN :ids ...`) for every id: on SQLite in chunks under its
    bound-parameter limit, on PostgreSQL in one statement with the ids as one array."""
    keys, rows = _chunked_tuples(conn, query, ids, **params)
    # plain tuples zipped: Row._mapping per row cost more
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _chunked_tuples(
    conn: Connection, query: TextClause, ids: Iterable[Any], **params: Any
) -> tuple[list[str], list[Sequence[Any]]]:
    """chunked_rows' column names and rows as the driver gave them."""
    wanted = list(ids)
    if conn.dialect.name == "postgresql" and wanted:
        sql = Sql(conn)
        if sql.psycopg3:
            statement, names = _positional(query.text)
            values = [pg_array(wanted) if name == "ids" else params[name] for name in names]
            return sql.named_rows(statement, values)
        statement = _as_array(query.text, conn.dialect)
        return _fetched(conn.exec_driver_sql(statement, {"ids": wanted, **params}))
    keys: list[str] = []
    rows: list[Sequence[Any]] = []
    for start in range(0, len(wanted), CHUNK):
        keys, chunk = _fetched(
            conn.execute(query, {"ids": wanted[start : start + CHUNK], **params})
        )
        rows += chunk
    return keys, rows


def _fetched(result: Result[Any]) -> tuple[list[str], list[Sequence[Any]]]:
    return list(result.keys()), list(result.fetchall())


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=64)
def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with `IN :ids` as `= ANY(:ids)` and its named parameters as `?`, and their names
    in order. On psycopg 3 the statement goes through the store's libpq pipeline, prepared on
    its second use: psycopg's cursor cost 4-5 ms of client CPU more than the server's 2 ms for
    an impact's 1,886 deployments at 1M events, and the ids go as one array literal."""
    sql = _any_ids(sql)
    return _NAMED.sub("?", sql), tuple(_NAMED.findall(sql))


@lru_cache(maxsize=64)
def _as_array(sql: str, dialect: Dialect) -> str:
    """psycopg2's SQL for `query` with `IN :ids` as `= ANY(:ids)`: a thousand ids are one
    array parameter instead of a thousand parameters to render, send and plan."""
    return str(text(_any_ids(sql)).compile(dialect=dialect))


def _any_ids(sql: str) -> str:
    """`sql` with its `IN :ids` as `= ANY(:ids)`: the ids as one array parameter."""
    if "IN :ids" not in sql:
        raise ValueError("chunked_rows needs a query with `IN :ids`")
    return sql.replace("IN :ids", "= ANY(:ids)")


def load_runs(
    conn: Connection, run_ids: Iterable[str], *, facets: bool = True
) -> list[dict[str, Any]]:
    """The runs with job, actor (or the parent run's) and, when `facets`, their facets."""
    runs = chunked_rows(conn, RUNS if facets else RUN_SUMMARIES, run_ids)
    for run in runs:
        if facets:
            stored = run.pop("facets")
            run["facets"] = (json.loads(stored) if isinstance(stored, str) else stored) or {}
        run["job"] = f"{run['job_namespace']}/{run['job_name']}"
    return _oldest_first(runs)


def _oldest_first(runs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(runs, key=lambda r: (r["started_at"] or r["last_event_time"], r["run_id"]))


# A trace's versions, each with the runs that made it by a moment and those runs' job, actor and
# chosen facets. Columns: VERSIONS', the producing run's id (run_outputs), RUNS_OF's but the
# facets, then one per chosen facet. The left joins keep versions nothing made (sources) and
# outputs whose run is not stored; the parent run's actor is looked up only for a run without
# one (COALESCE stops at its first value that is not null).
_VERSIONS_MADE = """
    SELECT v.id, v.version, v.created_at, v.run_id, d.id AS dataset_id, d.namespace, d.name,
           d.kind, d.deleted_at, ro.run_id AS producer,
           r.run_id, j.namespace AS job_namespace, j.name AS job_name, r.state, r.started_at,
           r.ended_at, r.last_event_time, r.parent_run_id,
           COALESCE(a.name, (SELECT pa.name FROM runs p JOIN actors pa ON pa.id = p.actor_id
                             WHERE p.run_id = r.parent_run_id)) AS actor,
           COALESCE(a.kind, (SELECT pa.kind FROM runs p JOIN actors pa ON pa.id = p.actor_id
                             WHERE p.run_id = r.parent_run_id)) AS actor_kind
           {facets}
    FROM dataset_versions v
    JOIN datasets d ON d.id = v.dataset_id
    {outputs}
    LEFT JOIN runs r ON r.run_id = ro.run_id
    LEFT JOIN jobs j ON j.id = r.job_id
    LEFT JOIN actors a ON a.id = r.actor_id
    WHERE v.id IN :ids
"""
_OUTPUTS = "LEFT JOIN run_outputs ro ON ro.version_id = v.id AND ro.event_time <= :as_of"
# PostgreSQL hashed all of run_outputs (85,617 rows at 1M events) to join a few hundred
# versions: its cost model takes each index probe for a disk read. A lateral subquery can only
# be joined by probing the index once per version; OFFSET 0 keeps it from being flattened back.
# (SQLite has no LATERAL, and probes the index anyway.)
_OUTPUTS_PROBED = """
    LEFT JOIN LATERAL (
        SELECT ro.run_id FROM run_outputs ro
        WHERE ro.version_id = v.id AND ro.event_time <= :as_of OFFSET 0
    ) ro ON TRUE
"""
# Positions in its rows: the version's columns 0-8, the producer 9, the run's 10-19 (its job's
# namespace 11, never null for a stored job), the facets from 20.
_PRODUCER = 9
_JOB = 11
_FACETS = 20
# Facet names go into the SQL text (one statement per set of names, cached): only plain names.
FACET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def load_versions_made(
    conn: Connection, version_ids: Iterable[int], as_of: str, facets: tuple[str, ...]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The versions (as VERSIONS gives them); every (run_id, version_id) output, by `as_of`, of
    a run that made one of them; and those runs as load_runs gives them, but with only the
    named `facets` (a facet absent or null is left out). One statement for what took three
    (versions, outputs, runs by id); the database picks the facets out of the stored JSON: a
    deep trace (1,100-1,700 runs at 1M events) shows only the training facet, and decoding
    every facet of every run was most of its run lookup."""
    query = _versions_made_query(facets, conn.dialect.name == "postgresql")
    rows = _chunked_tuples(conn, query, version_ids, as_of=as_of)[1]
    # SQLite hands JSON back as text; psycopg has parsed it already (a facet that is a JSON
    # string is a str then too, hence by dialect and not by type).
    decode = json.loads if conn.dialect.name == "sqlite" else None
    versions: dict[int, dict[str, Any]] = {}
    outputs: list[dict[str, Any]] = []
    runs: dict[str, dict[str, Any]] = {}
    for row in rows:
        version_id, producer = row[0], row[_PRODUCER]
        if version_id not in versions:
            versions[version_id] = _version_of(row)
        if producer is None:
            continue
        outputs.append({"run_id": producer, "version_id": version_id})
        # Listed if stored with its job, as load_runs' inner join has it.
        if producer not in runs and row[_JOB] is not None:
            runs[producer] = _run_of(row, facets, decode)
    return list(versions.values()), outputs, _oldest_first(runs.values())


# Dict displays rather than dict(zip(names, row)): a quarter of the time, for thousands of rows.
def _version_of(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "id": row[0],
        "version": row[1],
        "created_at": row[2],
        "run_id": row[3],
        "dataset_id": row[4],
        "namespace": row[5],
        "name": row[6],
        "kind": row[7],
        "deleted_at": row[8],
    }


def _run_of(
    row: Sequence[Any], names: tuple[str, ...], decode: Callable[[str], Any] | None
) -> dict[str, Any]:
    facets = {}
    for at, name in enumerate(names, _FACETS):
        value = row[at]
        if decode and value is not None:
            value = decode(value)
        if value is not None:
            facets[name] = value
    return {
        "run_id": row[10],
        "job_namespace": row[11],
        "job_name": row[12],
        "state": row[13],
        "started_at": row[14],
        "ended_at": row[15],
        "last_event_time": row[16],
        "parent_run_id": row[17],
        "actor": row[18],
        "actor_kind": row[19],
        "facets": facets,
        "job": f"{row[11]}/{row[12]}",
    }


@lru_cache(maxsize=16)
def _versions_made_query(names: tuple[str, ...], postgres: bool) -> TextClause:
    if not names:
        raise ValueError("name at least one facet")
    for name in names:
        if not FACET_NAME.fullmatch(name):
            raise ValueError(f"not a plain facet name: {name!r}")
    facets = "".join(f", {_facet(name, postgres)} AS facet_{i}" for i, name in enumerate(names))
    sql = _VERSIONS_MADE.format(facets=facets, outputs=_OUTPUTS_PROBED if postgres else _OUTPUTS)
    return text(sql).bindparams(bindparam("ids", expanding=True))


def _facet(name: str, postgres: bool) -> str:
    """One facet of the stored document, as JSON, parsed out by the database's own code.
    SQLite's json_extract gives text values unquoted, json_quote makes them JSON again (and
    leaves objects as they are); its `->`, which does both, needs SQLite 3.38."""
    if postgres:
        return f"r.facets -> '{name}'"
    return f"json_quote(json_extract(r.facets, '$.{name}'))"


def as_it_stood(row: dict[str, Any], bound: str) -> dict[str, Any]:
    """A dataset's (or version's) row as it stood at `bound`: a deletion recorded later had not
    happened yet. The rows hold a dataset's one, current deletion time."""
    deleted = row.get("deleted_at")
    return {**row, "deleted_at": None} if deleted and deleted > bound else row


def version_view(row: dict[str, Any], depth: int | None = None) -> dict[str, Any]:
    view = {
        "namespace": row["namespace"],
        "name": row["name"],
        "version": row["version"] or None,
        "kind": row["kind"],
        "created_at": row["created_at"],
        "produced_by": row["run_id"],
        "deleted_at": row["deleted_at"],
    }
    if depth is not None:
        view["depth"] = depth
    return view
