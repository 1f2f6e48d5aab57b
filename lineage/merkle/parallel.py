"""Verify a clean log fast: two halves on two cores when it is large, one fast pass otherwise.

`verify` is CPU-bound (two SHA-256 of every entry's bytes, a node hash, one row read per entry and
two per node), so on a large log the entries from a cut point on are checked by a worker process
(lineage.merkle.worker_start: forked on PostgreSQL where that is safe, else `python -m
lineage.merkle.fastscan`) while this process checks those before it, more of them than the worker
by what starting the worker costs, so that both finish together. The worker starts from the stored
state at the cut (the predecessor's hash and the tree's frontier there) and reports it; the first
half recomputes that state from its entries, and the two must agree, so two clean halves mean
exactly what one clean pass means. Both halves run the fast pass (`lineage.merkle.fastscan`), which
only says clean or not: anything else (a problem, a worker that fails, a log that cannot be cut
exactly) makes `verify` run the detailed single pass (`scan_half`), which alone writes the
detailed report.
"""

from __future__ import annotations

import logging
import marshal
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from lineage.chain import GENESIS_HASH
from lineage.merkle.check import Snapshot, TreeCheck
from lineage.merkle.fastscan import (
    SQLITE_MMAP_BYTES,
    Outcome,
    Start,
    connect,
    run_job,
    scan_range,
    sqlite_mmap,
)
from lineage.merkle.layout import nodes_for_size
from lineage.merkle.scan import ChainReport, scan_log
from lineage.merkle.tree import Frontier, load_frontier
from lineage.merkle.worker_start import ForkedWorker, Worker, can_fork, spawn
from lineage.models import LogEntry

log = logging.getLogger(__name__)

# Starting the worker costs about as much as checking this many entries (on an EPYC, an entry
# 7-9 us in either process): a fresh interpreter about 32 ms on SQLite (without `site`, on an
# hour when an entry took 9 us; 60 ms with `site` and the fast pass's former imports) and about
# 140 ms on PostgreSQL (84-91 of them importing psycopg); a forked one, on PostgreSQL, runs its
# first query about 11 ms after the fork (lineage.merkle.worker_start). So this process takes
# that many entries more than the worker, and a log of fewer than twice that is checked in one
# pass. The benchmark's 10,000 entries on SQLite, medians of seven, alternated: leads of 3,000,
# 3,500, 4,000 and 5,000 entries gave 137,092, 142,970, 148,601 and 144,136 entries/s (one pass:
# about 112,000); 10,000 on PostgreSQL, forked (medians of a script's nine runs): 113,249 in one
# pass, 138,749 cut so.
WORKER_START_ENTRIES = {"sqlite": 4_000, "postgresql": 15_000, "forked": 1_500}


@dataclass
class Half:
    chain: ChainReport
    tree: TreeCheck

    @property
    def clean(self) -> bool:
        return self.chain.ok and not self.tree.problems and not self.tree.differing


def scan_half(conn: Connection, first: int, last: int, end_pos: int) -> Half:
    """The detailed pass over entries first..last (first = 1: everything up to last), which
    names every problem it meets."""
    prev, frontier = GENESIS_HASH, Frontier()
    if first > 1:
        row = select(LogEntry.entry_hash).where(LogEntry.seq == first - 1)
        prev = conn.execute(row).scalar_one()
        frontier = load_frontier(conn, first - 1)
    tree = TreeCheck(conn, end_pos, frontier)
    start = first if first > 1 else None
    chain = scan_log(conn, tree.add, first_seq=start, last_seq=last, prev=prev)
    tree.flush()
    return Half(chain, tree)


def parallel_minimum(engine: Engine) -> int:
    """The log size from which the fast pass runs in two processes."""
    return 2 * _lead(_target(engine))


def _lead(target: dict[str, str] | None) -> int:
    if target is not None and can_fork(target):
        return WORKER_START_ENTRIES["forked"]
    backend = "sqlite" if target is not None and "sqlite" in target else "postgresql"
    return WORKER_START_ENTRIES[backend]


def scan_fast(engine: Engine, conn: Connection, snap: Snapshot, minimum: int) -> Half | None:
    """The whole log checked by the fast pass (in two halves from `minimum` entries): the result
    when clean, else None."""
    halves = scan_in_two(engine, conn, snap, minimum)
    if halves is not None:
        return halves
    outcome = _fast(engine, conn, Start(1), snap.last_seq, snap.stored_nodes)
    return _half(conn, outcome, 1) if outcome.clean else None


def scan_in_two(engine: Engine, conn: Connection, snap: Snapshot, minimum: int) -> Half | None:
    """Both halves, merged, when the log is large, can be cut, and both come out clean."""
    target = _target(engine)
    cut = _cut(snap, minimum, _lead(target))
    if cut is None or target is None:
        return None
    worker = _start(target, cut, snap)
    try:
        end_pos = min(nodes_for_size(cut - 1), snap.stored_nodes)
        first = _fast(engine, conn, Start(1), cut - 1, end_pos)
    except BaseException:
        worker.kill()  # never leave a worker behind
        worker.wait()
        raise
    second = _result(worker)
    if second is None or not first.clean or first.entries != cut - 1:
        return None
    start, outcome = second
    if (start.prev, start.roots) != (first.head_hash, first.roots):
        return None  # the worker started from a state the entries before the cut do not give
    if not outcome.clean or outcome.entries != snap.last_seq - cut + 1:
        return None
    outcome.entries += first.entries
    return _half(conn, outcome, 1)


def _fast(engine: Engine, conn: Connection, start: Start, last: int, end_pos: int) -> Outcome:
    """The fast pass in this connection's transaction. SQLite reads through mmap meanwhile;
    PostgreSQL streams the entries over a second connection (COPY holds the one it uses)."""
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        reader, _ = connect(_target(engine) or {})
        try:
            return scan_range(dbapi, True, start, last, end_pos, reader)
        finally:
            reader.close()
    before = sqlite_mmap(dbapi, SQLITE_MMAP_BYTES)
    try:
        return scan_range(dbapi, False, start, last, end_pos)
    finally:
        sqlite_mmap(dbapi, before)


def _half(conn: Connection, outcome: Outcome, first: int) -> Half:
    head_seq = first + outcome.entries - 1 if outcome.entries else 0
    chain = ChainReport(outcome.entries, head_seq, outcome.head_hash)
    return Half(chain, TreeCheck(conn, 0, Frontier(outcome.size, outcome.roots)))


def _cut(snap: Snapshot, minimum: int, lead: int) -> int | None:
    """The first seq of the second half: `lead` entries past the middle, and never so far that
    the worker has less than a quarter of the log (the tree must hold the frontier before it)."""
    if snap.last_seq < max(minimum, 2):
        return None
    cut = (snap.last_seq + min(lead, snap.last_seq // 2)) // 2 + 1
    return cut if snap.tree_size >= cut - 1 else None


def _target(engine: Engine) -> dict[str, str] | None:
    """How the worker reaches the database without SQLAlchemy (None: it cannot)."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return {"postgres": url.set(drivername="postgresql").render_as_string(hide_password=False)}
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return {"sqlite": str(url.database)}
    return None


def _start(target: dict[str, str], cut: int, snap: Snapshot) -> Worker:
    job: dict[str, Any] = {
        **target,
        "first": cut,
        "last": snap.last_seq,
        "end_pos": snap.stored_nodes,
    }
    return ForkedWorker(run_job, job) if can_fork(target) else spawn(job)


def _result(worker: Worker) -> tuple[Start, Outcome] | None:
    out, err = worker.communicate()
    try:
        if worker.returncode != 0:
            raise ValueError(f"exit {worker.returncode}")
        data = marshal.loads(out)
        if data["start"] is None:
            return None  # the state at the cut is not stored: the detailed pass will say why
        return Start(**data["start"]), Outcome(**data["outcome"])
    except (ValueError, KeyError, TypeError, EOFError) as exc:
        log.warning("verify worker failed (%s), one pass instead: %s", exc, err.decode()[-500:])
        return None
