"""A psycopg 3 connection's pipeline driven through libpq directly: the append's statements.

Why: psycopg's cursor spends about 30 us of Python on each statement it pipelines (a cursor, a
generator step per send and per result, a wait on the socket each time), and a one-event append
is some twenty statements. Sending them through `psycopg.pq` (libpq's calls, in C) with
psycopg's own `Transformer` to adapt parameters and rows costs about 3 us a statement
(docs/PERFORMANCE.md, twelfth round). Values are adapted exactly as psycopg's cursors adapt them
(the same Transformer, from the connection's adapters), and statements are prepared the way
psycopg prepares them: on their second use, keyed by text and parameter types.

A `Pipeline` is open on a connection between `opened(driver)`'s enter and exit; statements sent
meanwhile are answered at the next `sync`, which raises the first error the server reported
(psycopg's exception for it, as a cursor would raise). Nothing else may use the connection
while it is open.
"""

from __future__ import annotations

import select
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from psycopg import Connection, errors, pq
from psycopg.adapt import PyFormat, Transformer

from lineage.projection.idle_work import wait

Row = tuple[Any, ...]
# Statements prepared on one connection at most; past it, new shapes run unnamed (parsed and
# planned each time), so odd batch sizes cannot fill the server's memory with plans.
MAX_PREPARED = 256
_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)
_ACTIVE: WeakKeyDictionary[Connection, Pipeline] = WeakKeyDictionary()
_SESSIONS: WeakKeyDictionary[Connection, _Session] = WeakKeyDictionary()


class Answer:
    """The rows of one sent statement, filled in by the `sync` after it."""

    __slots__ = ("named", "names", "rows")

    def __init__(self, named: bool = False) -> None:
        self.rows: list[Row] = []
        self.named = named  # whether to read the columns' names (the append never needs them)
        self.names: list[str] = []


class _Session:
    """What the server holds for one connection: the statements prepared on it, by key."""

    def __init__(self) -> None:
        self.names: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        self.seen: set[tuple[bytes, tuple[int, ...]]] = set()


class Pipeline:
    def __init__(self, driver: Connection) -> None:
        self.pg = driver.pgconn
        self.encoding = driver.info.encoding
        self.adapt = Transformer(driver)
        self.session = _SESSIONS.setdefault(driver, _Session())
        # psycopg answers a rollback with DEALLOCATE ALL once it has prepared anything itself
        # (it then forgets its statements, and ours would be gone unknown to us): statements
        # are prepared here only where psycopg prepares none (lineage.db's store engines).
        self.prepares = driver.prepare_threshold is None
        # One entry per result the server owes: an Answer, or the key of a statement prepared
        # in this round (forgotten if the server refused it).
        self.owed: list[Answer | tuple[bytes, tuple[int, ...]]] = []

    def send(self, sql: str, params: Sequence[Any] = (), *, named: bool = False) -> Answer:
        """Queue `sql` (`?` marks parameters); its rows (and, if `named`, its columns' names)
        arrive at the next `sync`."""
        text = numbered(sql)
        buffers: list[Any] | None = None
        types: tuple[int, ...] = ()
        formats: list[pq.Format] | None = None
        if params:
            buffers = self.adapt.dump_sequence(params, [PyFormat.AUTO] * len(params))
            types, formats = tuple(self.adapt.types), list(self.adapt.formats)
        name = self._prepared(text, types)
        if name is None:
            self.pg.send_query_params(text, buffers, types or None, formats)
        else:
            self.pg.send_query_prepared(name, buffers, formats)
        answer = Answer(named)
        self.owed.append(answer)
        self.pg.flush()  # the server starts on it while the next is made (the rest: at sync)
        return answer

    def _prepared(self, text: bytes, types: tuple[int, ...]) -> bytes | None:
        """The statement's name on the server, preparing it now on its second use."""
        key = (text, types)
        session = self.session
        name = session.names.get(key)
        if name is not None or not self.prepares:
            return name
        if key not in session.seen:
            session.seen.add(key)
            return None
        if len(session.names) >= MAX_PREPARED:
            return None
        name = f"mlaudit_{len(session.names)}".encode()
        self.pg.send_prepare(name, text, types or None)
        session.names[key] = name
        self.owed.append(key)
        return name

    def sync(self) -> None:
        """Send what is queued, read every answer; raise the first error the server reported."""
        pg = self.pg
        pg.pipeline_sync()
        flush(pg)
        owed, self.owed = self.owed, []
        failure: errors.Error | None = None
        for item in owed:
            result = next_result(pg)
            if result is None or result.status not in _OK:
                if failure is None and result is not None and result.status == _FATAL:
                    failure = errors.error_from_result(result, encoding=self.encoding)
                if isinstance(item, tuple):
                    self.session.names.pop(item, None)  # never prepared: prepare again
            elif isinstance(item, Answer) and result.status == pq.ExecStatus.TUPLES_OK:
                self.adapt.set_pgresult(result)
                item.rows = self.adapt.load_rows(0, result.ntuples, tuple)
                if item.named:
                    item.names = [
                        (result.fname(column) or b"").decode(self.encoding)
                        for column in range(result.nfields)
                    ]
            if result is not None:
                next_result(pg)  # the None that closes each statement's results
        end = next_result(pg)
        if end is None or end.status != pq.ExecStatus.PIPELINE_SYNC:
            raise errors.InternalError("the pipeline's answers did not end at its sync")
        if failure is not None:
            raise failure

    def discard(self) -> None:
        """After a failure: read what is owed, ignoring it, so the pipeline can close."""
        if self.pg.status != pq.ConnStatus.OK:
            return
        with suppress(errors.Error):
            self.sync()


_FATAL = pq.ExecStatus.FATAL_ERROR


def next_result(pg: pq.abc.PGconn) -> pq.abc.PGresult | None:
    """The connection's next result, waiting for it (idle_work: the thread's idle task runs
    meanwhile); None between statements."""
    while pg.is_busy():
        wait(pg.socket, select.POLLIN)
        pg.consume_input()
    return pg.get_result()


def flush(pg: pq.abc.PGconn) -> None:
    """Send the queued messages; the socket is non-blocking, so read while waiting to write (a
    server blocked on its own full output would otherwise never read ours)."""
    while pg.flush():
        if wait(pg.socket, select.POLLIN | select.POLLOUT) & select.POLLIN:
            pg.consume_input()


def active(driver: Any) -> Pipeline | None:
    """The pipeline open on this psycopg 3 connection, if any."""
    try:
        return _ACTIVE.get(driver)
    except TypeError:  # not weakly referenceable: not a psycopg connection
        return None


@contextmanager
def opened(driver: Connection) -> Iterator[Pipeline]:
    """A pipeline on `driver` (the one already open, if any: the caller's sync answers all);
    what is queued at the end is sent and answered before it closes."""
    current = _ACTIVE.get(driver)
    if current is not None:
        yield current
        return
    pipeline = Pipeline(driver)
    begin = not driver.autocommit and pipeline.pg.transaction_status == pq.TransactionStatus.IDLE
    pipeline.pg.enter_pipeline_mode()
    _ACTIVE[driver] = pipeline
    try:
        if begin:  # as psycopg begins a transaction before a statement outside autocommit
            pipeline.send(begin_command(driver))
        yield pipeline
        if pipeline.owed:
            pipeline.sync()
    except BaseException:
        pipeline.discard()
        raise
    finally:
        del _ACTIVE[driver]
        _leave(driver)


def _leave(driver: Connection) -> None:
    """Out of pipeline mode; a connection that cannot leave it (answers still unread after an
    interrupted failure) is closed, so that no one uses it in a state nobody knows."""
    pg = driver.pgconn
    if pg.status != pq.ConnStatus.OK:
        return
    try:
        pg.exit_pipeline_mode()
    except errors.Error:
        with suppress(errors.Error):
            driver.close()


def begin_command(driver: Connection) -> str:
    """The BEGIN psycopg would send, with the connection's transaction characteristics."""
    words = ["BEGIN"]
    if driver.isolation_level is not None:
        words.append("ISOLATION LEVEL " + driver.isolation_level.name.replace("_", " "))
    if driver.read_only is not None:
        words.append("READ ONLY" if driver.read_only else "READ WRITE")
    if driver.deferrable is not None:
        words.append("DEFERRABLE" if driver.deferrable else "NOT DEFERRABLE")
    return " ".join(words)


@lru_cache(maxsize=1024)
def numbered(sql: str) -> bytes:
    """`?` marks as PostgreSQL's $1, $2...; the store's SQL holds no other `?`."""
    parts = sql.split("?")
    out = [parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        out.append(f"${index}{part}")
    return "".join(out).encode()
