"""The append's pipeline on libpq: answers, errors, preparing, and a connection left usable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest
from pg_scratch import psycopg_connection, scratch_engine
from sqlalchemy import Engine

from lineage.projection import libpq_pipeline
from lineage.projection.libpq_pipeline import MAX_PREPARED, Pipeline, opened

TABLE = "CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR, blob BYTEA, at TIMESTAMP)"


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    with scratch_engine(pg_url, TABLE) as engine:
        yield engine


@pytest.fixture
def driver(engine: Engine) -> Iterator[psycopg.Connection]:
    with psycopg_connection(engine) as driver:
        yield driver


def _prepared(driver: psycopg.Connection) -> set[str]:
    with driver.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_values_go_and_come_back_as_psycopg_adapts_them(driver: psycopg.Connection) -> None:
    at = dt.datetime(2026, 11, 29, 10, 30, 5, 123456)
    rows = [(1, "plain", b"\x00\xff", at), (2**40, 'quoted "é" ?', None, None)]
    with opened(driver) as pipe:
        for row in rows:
            pipe.send("INSERT INTO t VALUES (?, ?, ?, ?)", row)
        answer = pipe.send("SELECT id, name, blob, at FROM t ORDER BY id")
        pipe.sync()
        assert answer.rows == rows


def test_nothing_is_prepared_before_its_second_use(driver: psycopg.Connection) -> None:
    query = "SELECT count(*) FROM t WHERE id > ?"
    with opened(driver) as pipe:
        first = pipe.send(query, [0])
    assert first.rows == [(0,)]
    assert not {n for n in _prepared(driver) if n.startswith("mlaudit_")}
    with opened(driver) as pipe:
        pipe.send(query, [0])
        again = pipe.send(query, [5])
    assert again.rows == [(0,)]
    assert {n for n in _prepared(driver) if n.startswith("mlaudit_")} == {"mlaudit_0"}


def test_an_error_is_raised_at_the_sync_and_the_rest_is_not_run(
    driver: psycopg.Connection,
) -> None:
    driver.autocommit = True
    with pytest.raises(psycopg.errors.UniqueViolation), opened(driver) as pipe:
        pipe.send("BEGIN")
        pipe.send("INSERT INTO t (id) VALUES (?)", [1])
        pipe.send("INSERT INTO t (id) VALUES (?)", [1])
        pipe.send("INSERT INTO t (id) VALUES (?)", [2])
        pipe.send("COMMIT")
    assert driver.info.transaction_status.name == "INERROR"
    driver.rollback()
    with driver.cursor() as cursor:
        assert cursor.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_refused_statement_is_prepared_again_once_it_is_right(
    driver: psycopg.Connection,
) -> None:
    """A prepare the server never ran (aborted by an earlier error) is not taken as done."""
    query = "SELECT id FROM t WHERE id = ?"
    for _ in range(2):
        with pytest.raises(psycopg.errors.DivisionByZero), opened(driver) as pipe:
            pipe.send("SELECT 1 / 0")
            pipe.send(query, [1])  # its prepare, at the second use, comes after the error
        driver.rollback()
    with opened(driver) as pipe:
        answer = pipe.send(query, [1])
    assert answer.rows == []


def test_a_python_error_inside_leaves_the_connection_usable(driver: psycopg.Connection) -> None:
    with pytest.raises(RuntimeError), opened(driver) as pipe:
        pipe.send("INSERT INTO t (id) VALUES (?)", [7])
        raise RuntimeError("the caller failed")
    assert libpq_pipeline.active(driver) is None
    driver.rollback()
    with driver.cursor() as cursor:
        assert cursor.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_statements_past_the_cap_run_unprepared(
    driver: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(libpq_pipeline, "MAX_PREPARED", 2)
    shapes = [f"SELECT {n} + ?" for n in range(4)]
    for _ in range(3):
        with opened(driver) as pipe:
            answers = [pipe.send(shape, [1]) for shape in shapes]
        assert [a.rows for a in answers] == [[(n + 1,)] for n in range(4)]
    assert len({n for n in _prepared(driver) if n.startswith("mlaudit_")}) == 2
    assert MAX_PREPARED > 2


def test_nothing_is_prepared_where_psycopg_prepares(pg_url: str) -> None:
    """psycopg would answer a rollback with DEALLOCATE ALL: named statements would vanish."""
    with psycopg.connect(pg_url.replace("+psycopg", "")) as driver:
        assert driver.prepare_threshold is not None
        for _ in range(3):
            with opened(driver) as pipe:
                pipe.send("SELECT ?::int", [1])
        assert not {n for n in _prepared(driver) if n.startswith("mlaudit_")}
        assert not Pipeline(driver).prepares


def test_a_pipeline_larger_than_the_socket_buffers_completes(driver: psycopg.Connection) -> None:
    """The client reads answers while it still sends: neither side waits on the other."""
    text = "x" * 20_000
    with opened(driver) as pipe:
        answers = [pipe.send("SELECT ?::text", [text]) for _ in range(300)]
    assert all(a.rows == [(text,)] for a in answers)


def test_a_nested_pipeline_joins_the_open_one(driver: psycopg.Connection) -> None:
    with opened(driver) as outer:
        with opened(driver) as inner:
            assert inner is outer
            answer = inner.send("SELECT 1")
        assert answer.rows == []  # not answered until the outer pipeline syncs
        outer.sync()
        assert answer.rows == [(1,)]


def test_outside_autocommit_the_statements_run_in_a_transaction(
    driver: psycopg.Connection,
) -> None:
    """As with psycopg's cursors: nothing is kept until the caller commits."""
    driver.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    with opened(driver) as pipe:
        pipe.send("INSERT INTO t (id) VALUES (?)", [3])
        level = pipe.send("SHOW transaction_isolation")
    assert level.rows == [("repeatable read",)]
    assert driver.info.transaction_status.name == "INTRANS"
    driver.rollback()
    with driver.cursor() as cursor:
        assert cursor.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_sqlalchemy_statement_inside_is_refused_not_left_waiting(engine: Engine) -> None:
    """psycopg, unaware of the pipeline, would wait forever for its answer."""
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        with pytest.raises(RuntimeError, match="inside the store's pipeline"), opened(driver):
            conn.exec_driver_sql("SELECT 1")
        conn.rollback()
        assert conn.exec_driver_sql("SELECT 2").scalar() == 2


def test_a_connection_that_cannot_leave_the_pipeline_is_closed(pg_url: str) -> None:
    """Answers left unread (an interrupted failure) would confuse whoever used it next."""
    driver = psycopg.connect(pg_url.replace("+psycopg", ""))
    with pytest.raises(KeyboardInterrupt), opened(driver) as pipe:
        pipe.send("SELECT pg_sleep(0.05)")
        pipe.pg.pipeline_sync()  # an answer the pipeline does not know it owes
        raise KeyboardInterrupt
    assert driver.closed


def test_an_answer_names_its_columns_when_asked(driver: psycopg.Connection) -> None:
    query = "SELECT 1 AS one, 'x' AS \"Two words\""
    with opened(driver) as pipe:
        named = pipe.send(query, named=True)
        unnamed = pipe.send(query)
        written = pipe.send("INSERT INTO t (id) VALUES (?)", [7], named=True)
        pipe.sync()
    assert named.names == ["one", "Two words"] and named.rows == [(1, "x")]
    assert unnamed.names == [] and unnamed.rows == [(1, "x")]
    assert written.names == [] and written.rows == []
