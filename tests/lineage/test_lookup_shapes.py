"""SQLite lookups are written for a few shapes of key lists (lineage.projection.sql.shape), so a
connection reuses their compiled statements; the NULL rows that fill a shape match nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from lineage.projection.sql import Sql, shape

LOOKUP = (
    "WITH q(name, n) AS ({values}) "
    "SELECT t.name, t.n FROM q JOIN t ON t.name = q.name AND t.n = q.n"
)
MEMBERS = "SELECT name FROM t WHERE name {in}"


def test_a_shape_holds_its_keys_and_at_most_a_third_more() -> None:
    for count in range(1, 5000):
        size = shape(count, 30_000)
        assert count <= size < count * 3 // 2 + 1
        assert (size - count) * 3 < size or count <= 4
    assert [shape(n, 30_000) for n in (1, 4, 5, 7, 9, 13, 17, 250)] == [1, 4, 6, 8, 12, 16, 24, 256]


def test_a_shape_never_passes_the_statements_limit() -> None:
    assert shape(900, 1000) == 1000
    assert shape(1000, 1000) == 1000
    assert shape(7, 7) == 7


@pytest.fixture
def sql(tmp_path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'shapes.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (name VARCHAR NOT NULL, n INTEGER NOT NULL)")
        conn.exec_driver_sql(
            "INSERT INTO t VALUES " + ", ".join(f"('k{i}', {i})" for i in range(300))
        )
    with engine.connect() as conn:
        yield Sql(conn)
    engine.dispose()


def test_padded_lookups_find_exactly_the_stored_keys(sql: Sql) -> None:
    texts = set()
    for count in range(1, 200):
        keys = [(f"k{i}", i) for i in range(0, 2 * count, 2)]  # past 300: not stored
        query = sql.join_values(LOOKUP, keys, ("VARCHAR", "INTEGER"))
        texts.update(text for text, _ in query.statements)
        (found,) = sql.fetch(query)
        assert sorted(found) == sorted(k for k in keys if k[1] < 300)
    assert len(texts) <= 20


def test_padded_memberships_find_exactly_the_stored_names(sql: Sql) -> None:
    for count in (1, 5, 13, 100, 299):
        names = [f"k{i}" for i in range(count)] + ["absent"]
        (found,) = sql.fetch(sql.where_in(MEMBERS, names))
        assert sorted(name for (name,) in found) == sorted(names[:-1])


def test_statements_split_at_the_limit_are_padded_within_it(sql: Sql) -> None:
    sql.max_params = 20  # ten two-column rows a statement
    keys = [(f"k{i}", i) for i in range(15)]
    query = sql.join_values(LOOKUP, keys, ("VARCHAR", "INTEGER"))
    assert [len(params) for _, params in query.statements] == [20, 12]  # 10 rows, 5 in 6
    (found,) = sql.fetch(query)
    assert sorted(found) == sorted(keys)


def test_an_insert_of_the_rows_is_not_padded(sql: Sql) -> None:
    insert = "INSERT INTO t (name, n) {values}"
    query = sql.join_values(
        insert,
        [("new", 1), ("new", 2), ("new", 3), ("new", 4), ("new", 5)],
        ("VARCHAR", "INTEGER"),
        padded=False,
    )
    assert [len(params) for _, params in query.statements] == [10]
    sql.fetch(query)
    (rows,) = sql.fetch(sql.where_in("SELECT n FROM t WHERE name {in}", ["new"]))
    assert sorted(rows) == [(1,), (2,), (3,), (4,), (5,)]
