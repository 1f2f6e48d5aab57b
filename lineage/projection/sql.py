"""The projector's statements, run on the caller's DB-API connection with positional parameters.

Why not SQLAlchemy Core here: a Core execute costs 25-90 us of Python (cache keys, parameter
processing) against 2-10 us for the SQLite call itself, and projecting one event takes about a
dozen statements. The connection is the caller's, so the statements run in its transaction,
under its writer lock. Table and column names come from the models (`Table` objects).

Per dialect, the cheaper form of each bulk operation (measured with bench/ingest_profile.py):
- lists of keys: SQLite `IN (?, ...)` and `VALUES` lists (joined, so indexes are searched; a
  row-value `IN` would scan the table), PostgreSQL one array parameter per column (`ANY`,
  `unnest`), so the statement text never changes (psycopg prepares it) and has no size limit,
  each sent as an array literal (`pg_array`);
- many new rows: SQLite executemany, but into a table with row triggers (the edge tables)
  multi-row VALUES, since each run of a statement that fires a trigger costs about 6 us;
  PostgreSQL COPY (executemany runs one statement per row), with ids drawn from the sequence
  first when the caller needs them;
- lookups, and a few rows to write, on PostgreSQL: pipelined, one round trip for all of them,
  on libpq's pipeline directly (lineage.projection.libpq_pipeline: psycopg's cursors cost ten
  times its client CPU a statement), which also prepares them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table

if TYPE_CHECKING:
    from lineage.projection.libpq_pipeline import Pipeline

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Query:
    """One logical query: the statements (text, parameters) whose rows together answer it."""

    statements: list[tuple[str, Sequence[Any]]]


COPY_ROWS = 32  # below this, COPY's extra round trip costs more than it saves
# Rows a SQLite statement into a table with row triggers (Sql.insert): 50 and 100 did as well,
# 20 no better than one a statement (docs/PERFORMANCE.md, twenty-first round).
TRIGGERED_ROWS = 64


@lru_cache(maxsize=512)
def _format_style(sql: str) -> str:
    """psycopg takes %s where sqlite3 takes ?; our SQL holds no other ? and no %."""
    return sql.replace("?", "%s")


class Sql:
    """Positional SQL on the connection's driver; `?` marks parameters on every dialect."""

    def __init__(self, conn: Connection) -> None:
        self.postgres = conn.dialect.name == "postgresql"
        driver = conn.connection.driver_connection
        # Pipelines and COPY as used here are psycopg 3's; psycopg2 (an explicit
        # postgresql+psycopg2 URL) gets plain statements.
        self.psycopg3 = self.postgres and hasattr(driver, "pipeline")
        self.driver = driver
        if self.psycopg3:  # psycopg is imported only by stores on PostgreSQL
            from lineage.projection import libpq_pipeline

            self._pipes = libpq_pipeline
        version = sqlite3.sqlite_version_info
        # RETURNING arrived in SQLite 3.35; older libraries re-read inserted rows by their key.
        self.returning = self.postgres or version >= (3, 35)
        # SQLite's parameter limit is 32766 since 3.32, 999 before; PostgreSQL's is 65535.
        self.max_params = 30000 if self.postgres or version >= (3, 32) else 900

    @cached_property
    def cursor(self) -> Any:
        """The driver's cursor: SQLite's and psycopg2's (psycopg 3's statements go through
        libpq: lineage.projection.libpq_pipeline and libpq_copy). Made on first use: an append
        makes several Sql."""
        return self.driver.cursor()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if self.psycopg3:  # prepared by the pipeline (lineage.db: psycopg prepares nothing)
            return self.fetch(Query([(sql, params)]))[0]
        self.cursor.execute(_format_style(sql) if self.postgres else sql, params)
        return self.cursor.fetchall()

    def named_rows(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[Row]]:
        """The columns' names and the rows of one statement."""
        if self.psycopg3:
            with self._pipes.opened(self.driver) as pipe:
                answer = pipe.send(sql, params, named=True)
                pipe.sync()
            return answer.names, answer.rows
        rows = self.rows(sql, params)
        return [column[0] for column in self.cursor.description or ()], rows

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A statement whose rows nobody reads; in a pipeline it is answered at the next sync."""
        self.many(sql, [params])

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.psycopg3:  # joins the open pipeline; else one of its own, answered at once
            with self._pipes.opened(self.driver) as pipe:
                for row in rows:
                    pipe.send(sql, row)
        elif len(rows) == 1:
            self.cursor.execute(_format_style(sql) if self.postgres else sql, rows[0])
        else:
            self.cursor.executemany(_format_style(sql) if self.postgres else sql, rows)

    @contextmanager
    def pipeline(self) -> Iterator[Pipeline | None]:
        """PostgreSQL: send the statements inside without waiting for each answer (joining the
        pipeline already open on the connection, if any); answered by the end."""
        if not self.psycopg3:
            yield None
            return
        with self._pipes.opened(self.driver) as pipe:
            yield pipe

    def _pipe(self) -> Pipeline | None:
        return self._pipes.active(self.driver) if self.psycopg3 else None

    def _rows_per_chunk(self, width: int) -> int:
        return max(1, self.max_params // max(1, width))

    def _chunks(self, items: Sequence[Any], width: int) -> Iterator[Sequence[Any]]:
        step = self._rows_per_chunk(width)
        for start in range(0, len(items), step):
            yield items[start : start + step]

    def where_in(self, sql: str, values: Sequence[Any]) -> Query:
        """`sql` for all `values`: its `{in}` (after a column) becomes the membership test."""
        if not values:
            return Query([])
        if self.postgres:
            return Query([(_in_text(sql, 0), [pg_array(values)])])
        most = self._rows_per_chunk(1)
        statements = []
        for chunk in self._chunks(list(values), 1):
            count = shape(len(chunk), most)  # a NULL matches nothing
            statements.append((_in_text(sql, count), [*chunk, *[None] * (count - len(chunk))]))
        return Query(statements)

    def join_values(
        self, sql: str, rows: Sequence[Row], casts: tuple[str, ...], *, padded: bool = True
    ) -> Query:
        """`sql`, whose `{values}` becomes a table of `rows` (columns typed by `casts`).

        padded (SQLite): the table is filled up to its `shape` with rows of NULLs, which an
        equality join never matches; a statement that inserts the rows must say False."""
        if not rows:
            return Query([])
        if self.postgres:
            columns = [pg_array(column) for column in zip(*rows, strict=True)]
            return Query([(_values_text(sql, casts, 0), columns)])
        width = len(casts)
        most = self._rows_per_chunk(width)
        statements = []
        for chunk in self._chunks(list(rows), width):
            count = shape(len(chunk), most) if padded else len(chunk)
            params = [value for row in chunk for value in row]
            params += [None] * ((count - len(chunk)) * width)
            statements.append((_values_text(sql, casts, count), params))
        return Query(statements)

    def fetch(self, *queries: Query) -> list[list[Row]]:
        """The rows of each query; on PostgreSQL all sent before any answer is awaited."""
        if not self.psycopg3:
            return [
                [row for text, params in q.statements for row in self.rows(text, params)]
                for q in queries
            ]
        with self._pipes.opened(self.driver) as pipe:
            answers = [[pipe.send(text, params) for text, params in q.statements] for q in queries]
            pipe.sync()
        return [[row for answer in group for row in answer.rows] for group in answers]

    def _copies(self, rows: Sequence[Row]) -> bool:
        """Whether to COPY `rows`: enough of them, and no pipeline, where COPY cannot run."""
        return self.psycopg3 and len(rows) >= COPY_ROWS and self._pipe() is None

    def insert(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Row],
        *,
        row_triggers: bool = False,
    ) -> None:
        """row_triggers: on SQLite, the table has triggers that run for each inserted row."""
        if self._copies(rows):
            self._copy(table, columns, rows)
        elif self.postgres and len(rows) > 1:
            # executemany sends a statement per row; one VALUES list is one statement for the
            # server to run.
            for chunk in self._chunks(list(rows), len(columns)):
                text = rows_insert_sql(table, tuple(columns), len(chunk))
                self.execute(text, [value for row in chunk for value in row])
        elif row_triggers and len(rows) >= TRIGGERED_ROWS:
            self._insert_triggered(table, tuple(columns), rows)
        else:
            self.many(insert_sql(table, tuple(columns)), rows)

    def _insert_triggered(
        self, table: Table, columns: tuple[str, ...], rows: Sequence[Row]
    ) -> None:
        """SQLite: a statement that fires triggers costs about 6 us more each time it runs, even
        when the trigger's WHEN is false (an input row took 8 us against 2 without its trigger),
        so rows go TRIGGERED_ROWS to a statement, always the same one (its text is cached), the
        rest one by one."""
        whole = len(rows) - len(rows) % TRIGGERED_ROWS
        text = rows_insert_sql(table, columns, TRIGGERED_ROWS)
        for start in range(0, whole, TRIGGERED_ROWS):
            chunk = rows[start : start + TRIGGERED_ROWS]
            self.cursor.execute(text, [value for row in chunk for value in row])
        self.many(insert_sql(table, columns), rows[whole:])

    def _copy(self, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
        # Imported here, not with the pipeline: an append makes several Sql, a COPY is rarer.
        from lineage.projection.libpq_copy import copy_rows

        copy_rows(self.driver, table.name, columns, rows)

    def insert_keyed(
        self, table: Table, columns: Sequence[str], rows: Sequence[Row], key: Sequence[str]
    ) -> dict[Row, int]:
        """Insert `rows` (in order: ids ascend with it); the new ids by the natural `key`."""
        if not rows:
            return {}
        positions = [list(columns).index(name) for name in key]
        keys = [tuple(row[p] for p in positions) for row in rows]
        if self._copies(rows):
            sequence = "nextval(pg_get_serial_sequence(?, 'id'))"
            drawn = self.rows(
                f"SELECT {sequence} FROM generate_series(1, ?)", [table.name, len(rows)]
            )
            ids = sorted(row[0] for row in drawn)
            self._copy(table, ["id", *columns], [(i, *r) for i, r in zip(ids, rows, strict=True)])
            return dict(zip(keys, ids, strict=True))
        if not self.returning:
            self.insert(table, columns, rows)
            return self._ids_by_key(table, keys, key)
        ids: dict[Row, int] = {}
        for chunk in self._chunks(list(rows), len(columns)):
            text = _returning_text(table, tuple(columns), tuple(key), len(chunk))
            for row in self.rows(text, [value for item in chunk for value in item]):
                ids[tuple(row[1:])] = row[0]
        return ids

    def _ids_by_key(self, table: Table, keys: list[Row], key: Sequence[str]) -> dict[Row, int]:
        where = " AND ".join(f"t.{name} = q.{name}" for name in key)
        selected = ", ".join(f"t.{name}" for name in ["id", *key])
        sql = (
            f"WITH q({', '.join(key)}) AS ({{values}}) "
            f"SELECT {selected} FROM q JOIN {table.name} t ON {where}"
        )
        casts = tuple(sql_type(table, name) for name in key)
        (found,) = self.fetch(self.join_values(sql, keys, casts))
        return {tuple(row[1:]): row[0] for row in found}


def pg_array(values: Iterable[Any]) -> str:
    """`values` (text, integers, bytes, None) as a PostgreSQL array literal: one text parameter.

    Given a Python list, psycopg works out its element type and encodes it element by element at
    every execution; in a pipeline of small lookups that cost about 20 us of client CPU a
    statement more than a literal (57-62 against 37-39 us, two 3-element arrays a statement).
    The statement casts the parameter (`CAST(? AS VARCHAR[])`) or compares it with a column
    (`= ANY(?)`), so the server knows the element type. Any other type is refused rather than
    guessed at.
    """
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value: Any) -> str:
    if isinstance(value, str):  # quoted: commas, braces, blanks and NULL stay text
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "NULL"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bytes):  # bytea's hex input form, its backslash escaped for the array
        return '"\\\\x' + value.hex() + '"'
    raise TypeError(f"no array literal for a {type(value).__name__}: {value!r}")


def shape(count: int, most: int) -> int:
    """The number of rows a lookup of `count` keys is written for (at most `most`): 1-4, then
    the powers of two and the halfway steps between them (6, 8, 12, 16, 24...).

    SQLite keeps a connection's compiled statements by their text, and a lookup written for
    exactly its keys was a new text almost every time: compiling took two thirds of running
    it (250 keys: 747 us against 270 from the cache). Padded to these shapes, a batch's
    lookups reuse a few dozen texts, at most a third of each filled with NULLs."""
    if count <= 4:
        return count
    power = 1 << (count - 1).bit_length()
    between = power * 3 // 4
    return max(count, min(between if count <= between else power, most))


def marks(count: int) -> str:
    return ", ".join(["?"] * count)


# Statement texts are built once per shape: formatting them costs more than SQLite running them.
@lru_cache(maxsize=1024)
def _in_text(sql: str, count: int) -> str:
    """`{in}` as `= ANY(?)` (count 0: PostgreSQL, one array) or `IN (?, ...)`."""
    return sql.format(**{"in": f"IN ({marks(count)})" if count else "= ANY(?)"})


@lru_cache(maxsize=1024)
def _values_text(sql: str, casts: tuple[str, ...], count: int) -> str:
    """`{values}` as `count` VALUES rows, or (count 0: PostgreSQL) one array per column."""
    if not count:
        arrays = ", ".join(f"CAST(? AS {cast}[])" for cast in casts)
        return sql.format(values=f"SELECT * FROM unnest({arrays})")
    one = "(" + ", ".join(f"CAST(? AS {cast})" for cast in casts) + ")"
    return sql.format(values="VALUES " + ", ".join([one] * count))


@lru_cache(maxsize=256)
def _returning_text(
    table: Table, columns: tuple[str, ...], key: tuple[str, ...], count: int
) -> str:
    return f"{rows_insert_sql(table, columns, count)} RETURNING id, {', '.join(key)}"


@lru_cache(maxsize=256)
def rows_insert_sql(table: Table, columns: tuple[str, ...], count: int) -> str:
    """One INSERT of `count` rows (a VALUES list)."""
    rows = ", ".join(["(" + marks(len(columns)) + ")"] * count)
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {rows}"


@lru_cache(maxsize=64)
def insert_sql(table: Table, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks(len(columns))})"


@lru_cache(maxsize=64)
def update_sql(table: Table, columns: tuple[str, ...], key: str = "id") -> str:
    assignments = ", ".join(f"{name} = ?" for name in columns)
    return f"UPDATE {table.name} SET {assignments} WHERE {key} = ?"


def sql_type(table: Table, column: str) -> str:
    """The CAST type of a key column: INTEGER or VARCHAR is all the projector's keys need."""
    return "INTEGER" if table.c[column].type.python_type is int else "VARCHAR"
