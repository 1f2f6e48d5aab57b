"""COPY through libpq, and the idle task run in the store's waits on the server."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from pg_scratch import psycopg_connection, scratch_engine

from lineage.projection.idle_work import while_waiting
from lineage.projection.libpq_copy import MAX_BLOCK, copy_rows
from lineage.projection.libpq_pipeline import opened

TABLE = "CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR, blob BYTEA, doc JSON)"
ROWS = [
    (1, "tab\there, newline\nthere, backslash \\ and \\N", b"\x00\t\n\\\xff", '{"a": [1, "é"]}'),
    (2**62, None, None, None),
    (3, "", b"", "null"),
    (4, "ünïcødé ✓ 𝄞", bytes(range(256)), '"\\u0000-free"'),
]


@pytest.fixture
def driver(pg_url: str) -> Iterator[psycopg.Connection]:
    with scratch_engine(pg_url, TABLE) as engine, psycopg_connection(engine) as driver:
        yield driver
        driver.rollback()


def _stored(driver: psycopg.Connection) -> list[tuple]:
    with driver.cursor() as cursor:
        cursor.execute("SELECT id, name, blob, doc::text FROM t ORDER BY id")
        return cursor.fetchall()


def _copied_by_psycopg(driver: psycopg.Connection) -> list[tuple]:
    with driver.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE u (LIKE t)")
        with cursor.copy("COPY u (id, name, blob, doc) FROM STDIN") as copy:
            for row in ROWS:
                copy.write_row(row)
        cursor.execute("SELECT id, name, blob, doc::text FROM u ORDER BY id")
        return cursor.fetchall()


def test_rows_arrive_as_psycopg_copies_them(driver: psycopg.Connection) -> None:
    copy_rows(driver, "t", ["id", "name", "blob", "doc"], ROWS)
    assert _stored(driver) == _copied_by_psycopg(driver)
    assert [row[:3] for row in _stored(driver)] == sorted(row[:3] for row in ROWS)


def test_rows_go_in_the_connections_transaction(driver: psycopg.Connection) -> None:
    assert not driver.autocommit
    copy_rows(driver, "t", ["id"], [(1,)])
    driver.rollback()
    assert _stored(driver) == []


def test_rows_larger_than_a_block_arrive_whole(driver: psycopg.Connection) -> None:
    rows = [(i, "x" * (MAX_BLOCK // 3 + i), None, None) for i in range(8)]
    copy_rows(driver, "t", ["id", "name", "blob", "doc"], rows)
    assert [(i, len(name)) for i, name, _, _ in _stored(driver)] == [
        (i, len(name)) for i, name, _, _ in rows
    ]


def test_a_row_the_server_refuses_raises_its_error(driver: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.UniqueViolation):
        copy_rows(driver, "t", ["id", "name"], [(1, "a"), (1, "b")])
    driver.rollback()
    copy_rows(driver, "t", ["id", "name"], [(1, "a")])  # usable after the rollback
    assert _stored(driver) == [(1, "a", None, None)]


def test_a_value_psycopg_cannot_adapt_aborts_the_copy(driver: psycopg.Connection) -> None:
    with pytest.raises(psycopg.ProgrammingError, match="cannot adapt"):
        copy_rows(driver, "t", ["id", "name"], [(1, "a"), (2, object())])
    driver.rollback()
    assert _stored(driver) == []


def test_an_unknown_table_raises_the_servers_error(driver: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.UndefinedTable):
        copy_rows(driver, "missing", ["id"], [(1,)])
    driver.rollback()
    assert _stored(driver) == []


def test_waits_run_the_idle_task_until_the_answer_is_there(driver: psycopg.Connection) -> None:
    steps: list[int] = []

    def task() -> bool:
        steps.append(1)
        return True

    with while_waiting(task), opened(driver) as pipe:
        answer = pipe.send("SELECT pg_sleep(0.05), 7")
        pipe.sync()
    assert answer.rows == [("", 7)]
    assert len(steps) > 1
    done = len(steps)
    with opened(driver) as pipe:  # outside the block: no task
        pipe.send("SELECT pg_sleep(0.02)")
    assert len(steps) == done


def test_a_task_with_nothing_left_is_not_called_again_in_that_wait(
    driver: psycopg.Connection,
) -> None:
    calls: list[int] = []

    def finished() -> bool:
        calls.append(1)
        return False

    with while_waiting(finished):
        copy_rows(driver, "t", ["id"], [(i,) for i in range(2000)])
        with opened(driver) as pipe:
            answer = pipe.send("SELECT pg_sleep(0.05), count(*) FROM t")
    assert answer.rows == [("", 2000)]
    # At most once a wait (the COPY's start and end, the statement's answer), never in a loop.
    assert 0 < len(calls) <= 6
