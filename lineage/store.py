"""The audit store: the one ingest path, and access to what it holds.

Keys live outside the database: `store.keys` reads them from `store.settings.keys_dir` (or the
MLAUDIT_*_KEY variables). Personal data is pseudonymized under the pseudonym key before it is
hashed; the identities behind new pseudonyms are sealed into the vault in the same transaction
as the append.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from lineage.analyzer import StatisticsRefresher
from lineage.append import NewEntry, append_batch, entry_keys, read_state
from lineage.bulk_preparation import prepare_all
from lineage.checkpointer import WalCheckpointer
from lineage.collector import collector_paused
from lineage.db import (
    SQLITE_BUSY_TIMEOUT_S,
    create_store_engine,
    migrate,
    pipelined_commit,
    sqlite_file,
    writer_transaction,
)
from lineage.errors import InvalidEventsError
from lineage.ingest_result import Accepted, IngestResult
from lineage.keys import KeyStore, SymmetricKey
from lineage.models import LogEntry
from lineage.preparation import Preparation
from lineage.prepare import PreparedEvent, RawEvent, prepare_batch
from lineage.prepare_slot import WorkerSlot
from lineage.privacy.apply import Identities, Pseudonymizer
from lineage.privacy.fingerprints import check_key
from lineage.privacy.rules import RuleSet, load_rules
from lineage.privacy.vault import record_identities
from lineage.projection import Preload, project_entries
from lineage.projection.idle_work import Task, while_waiting
from lineage.projection.sql import COPY_ROWS
from lineage.settings import Settings
from lineage.timeutil import now_store_time

log = logging.getLogger(__name__)
# A PostgreSQL batch of two chunks or more is appended chunk by chunk in its transaction, each
# later chunk prepared while the server writes the one before (lineage.projection.idle_work).
# The first chunk is prepared before anything is sent; each chunk costs about fifteen round
# trips more. Sizes from bench/ingest_profile.py on batches of 1,000 (docs/PERFORMANCE.md,
# nineteenth round): 180/120 did as well as any of 128/64 and 250/250, 5-15% faster than one.
FIRST_CHUNK = 180
LEAST_CHUNK = 120
INTERLEAVE_FROM = FIRST_CHUNK + LEAST_CHUNK
# A SQLite batch this large has its events from WORKER_HEAD on prepared by a child process
# (lineage.prepare_worker) while the store prepares the head, then appends chunk by chunk: each
# chunk at least WORKER_CHUNK events, and whatever more the child has delivered by then.
# 150/100 against 60/100, 100/100, 200/150, 250/150 and 150/200: within the noise of each other
# (9,200-9,900 events/s), smaller chunks slower (docs/PERFORMANCE.md, twenty-first round).
WORKER_HEAD = 150
WORKER_CHUNK = 100
WORKER_FROM = WORKER_HEAD + WORKER_CHUNK


class SealedPseudonyms:
    """Pseudonyms this process saw committed to the vault, which never drops one (an erasure
    keeps a tombstone): ingesting a known identity again needs no vault lookup (a round trip)."""

    LIMIT = 100_000  # forgotten all at once past this: a forgotten one costs only a lookup

    def __init__(self) -> None:
        self._known: set[str] = set()

    def unknown(self, identities: Identities) -> Identities:
        return {p: i for p, i in identities.items() if p not in self._known}

    def add(self, identities: Identities) -> None:
        if len(self._known) + len(identities) > self.LIMIT:
            self._known.clear()
        self._known.update(identities)


class AuditStore:
    """An audit log with its projections, on SQLite or PostgreSQL."""

    def __init__(
        self,
        engine: Engine,
        *,
        settings: Settings | None = None,
        keys: KeyStore | None = None,
        privacy_rules: RuleSet | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings or Settings.from_env()
        self.keys = keys or KeyStore(self.settings.keys_dir)
        self._rules = privacy_rules
        # Key purposes whose fingerprint this store has seen committed: a fingerprint never
        # changes once stored, so one check per process is enough (it cost a query per ingest).
        self._keys_checked: set[str] = set()
        self._sealed = SealedPseudonyms()
        path = sqlite_file(engine)
        self._checkpointer = WalCheckpointer(path, SQLITE_BUSY_TIMEOUT_S) if path else None
        postgres = engine.dialect.name == "postgresql"  # SQLite plans these queries well without
        self.statistics = StatisticsRefresher(engine) if postgres else None
        # The worker prepares a bulk import's events on either database, and the later events
        # of a large batch on SQLite (PostgreSQL's are prepared in the server's waits instead,
        # `_interleaves`: the server needs the second core).
        enabled = self.settings.prepare_worker
        self.preparing = WorkerSlot(lambda: self.pseudonymizer, enabled=enabled)
        self._batch_worker = not postgres

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        run_migrations: bool = True,
        settings: Settings | None = None,
        keys: KeyStore | None = None,
        privacy_rules: RuleSet | None = None,
    ) -> AuditStore:
        """The store at `url` (default: settings.database_url); settings default to MLAUDIT_*."""
        settings = settings or Settings.from_env()
        engine = create_store_engine(url or settings.database_url)
        if run_migrations:
            migrate(engine)
        return cls(engine, settings=settings, keys=keys, privacy_rules=privacy_rules)

    @cached_property
    def pseudonymizer(self) -> Pseudonymizer:
        """Read on first ingest, so commands that only read never need the keys or the rules."""
        return Pseudonymizer(self.keys.pseudonym_key(), self._rules or load_rules())

    def close(self) -> None:
        self.preparing.close()
        if self._checkpointer:
            self._checkpointer.close()
        if self.statistics and not self.statistics.wait():
            log.warning("closing the store while planner statistics are still being refreshed")
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ingest(
        self, events: Sequence[RawEvent], *, strict: bool = True, submitter: str | None = None
    ) -> IngestResult:
        """Validate, then append and project a batch in one transaction.

        strict: one invalid event rejects the whole batch (nothing is written).
        Otherwise valid events are stored and invalid ones reported.
        """
        with collector_paused():
            if self._interleaves(len(events)):
                preparation = Preparation(events, self.pseudonymizer)
                return self._ingest_in_chunks(preparation, strict, submitter, interleaved=True)
            if len(events) >= WORKER_FROM and self._batch_worker and self.preparing.enabled:
                with self.preparing.job(events, WORKER_HEAD) as job:
                    if job:
                        preparation = Preparation(events, self.pseudonymizer, job)
                        return self._ingest_in_chunks(preparation, strict, submitter)
            prepared, rejected = prepare_batch(list(events), privacy=self.pseudonymizer)
            if rejected and strict:
                raise InvalidEventsError(rejected)
            result = IngestResult(rejected=rejected)
            if prepared:
                result.accepted = self._append([prepared], *self._submitter(submitter))
        return result

    def _interleaves(self, count: int) -> bool:
        """Whether to prepare the batch's later events while the server writes the earlier
        ones: PostgreSQL through psycopg 3 (whose waits run the store's idle task), and a batch
        large enough to be written in several chunks."""
        return count >= INTERLEAVE_FROM and self.engine.dialect.driver == "psycopg"

    def _ingest_in_chunks(
        self,
        preparation: Preparation,
        strict: bool,
        submitter: str | None,
        *,
        interleaved: bool = False,
    ) -> IngestResult:
        """`ingest` in chunks, one transaction: the first chunk is prepared before it begins,
        each later one (mostly) while the store appends the one before: in the server's waits
        (interleaved) or by the worker. A strict batch with an invalid event is rolled back once
        every event has been checked."""
        first = preparation.take(FIRST_CHUNK if interleaved else WORKER_HEAD)
        preparation.refuse_invalid(strict)
        result = IngestResult(rejected=preparation.rejected)
        if first:
            least = LEAST_CHUNK if interleaved else WORKER_CHUNK
            chunks = preparation.chunks(first, least, strict=strict)
            idle = preparation.step if interleaved else None
            result.accepted = self._append(chunks, *self._submitter(submitter), idle=idle)
        return result

    def ingest_many(
        self, events: Sequence[RawEvent], *, batch_size: int = 1000, submitter: str | None = None
    ) -> IngestResult:
        """Bulk import: validate everything first (on two cores when large,
        lineage.bulk_preparation), then append in batches of `batch_size`.

        Any invalid event rejects the whole import before anything is written. A crash between
        batches leaves whole batches stored; running the import again completes it (idempotent).
        """
        with collector_paused():
            prepared, rejected = prepare_all(events, self.pseudonymizer, self.preparing)
        if rejected:
            raise InvalidEventsError(rejected)
        result = IngestResult()
        pseudonym, identities = self._submitter(submitter)
        for start in range(0, len(prepared), batch_size):
            batch = prepared[start : start + batch_size]
            with collector_paused():
                result.accepted.extend(self._append([batch], pseudonym, identities))
        return result

    def _submitter(self, submitter: str | None) -> tuple[str | None, Identities]:
        """The submitter is an identity too (an API token's user): it is hashed into the chain."""
        identities: Identities = {}
        if submitter is None:
            return None, identities
        return self.pseudonymizer.identity(submitter, identities), identities

    def _append(
        self,
        chunks: Iterable[list[PreparedEvent]],
        submitter: str | None,
        submitter_identity: Mapping[str, str],
        *,
        idle: Task | None = None,
    ) -> list[Accepted]:
        """Append the chunks in order, in one transaction; `idle` runs in its waits on the
        server (lineage.projection.idle_work)."""
        accepted: list[Accepted] = []
        new: list[NewEntry] = []
        checked: list[str] = []
        recorded: Identities = {}
        dbapi_error = self.engine.dialect.loaded_dbapi.Error
        waiting = while_waiting(idle) if idle else nullcontext()
        try:
            with writer_transaction(self.engine, lock=False) as conn, waiting:
                for chunk in chunks:
                    identities = self._unrecorded(chunk, submitter_identity, recorded)
                    # The COMMIT may travel with a small batch's writes; a chunk is not the end.
                    done = self._write(conn, chunk, submitter, identities, last=idle is None)
                    accepted += done[0]
                    new += done[1]
                    checked += done[2]
                    recorded.update(identities)
        except dbapi_error as exc:
            # The append and projection run statements on the driver itself; callers handle
            # SQLAlchemy's exceptions (a refused value is a DataError, a lost server a
            # disconnect), so the driver's error is raised as the one SQLAlchemy would raise.
            gone = self.engine.dialect.is_disconnect(exc, None, None)
            raise DBAPIError.instance(
                None, None, exc, dbapi_error, connection_invalidated=gone
            ) from exc
        self._keys_checked.update(checked)  # committed: the fingerprints are stored
        self._sealed.add(recorded)
        if new and self._checkpointer:
            self._checkpointer.appended(len(new))
        if new and self.statistics:
            self.statistics.appended(new[0].seq - 1, new[-1].seq)
        return sorted(accepted, key=lambda a: a.index)

    def _unrecorded(
        self, chunk: list[PreparedEvent], submitter: Mapping[str, str], recorded: Identities
    ) -> Identities:
        """The chunk's identities (and the submitter's) not yet in the vault, as far as this
        process knows; the first spelling seen of each is kept."""
        identities = {p: i for p, i in submitter.items() if p not in recorded}
        for item in chunk:
            for pseudonym, identity in item.identities.items():
                if pseudonym not in recorded:
                    identities.setdefault(pseudonym, identity)
        return self._sealed.unknown(identities)

    def _write(
        self,
        conn: Connection,
        prepared: list[PreparedEvent],
        submitter: str | None,
        identities: Identities,
        *,
        last: bool = True,
    ) -> tuple[list[Accepted], list[NewEntry], list[str]]:
        """Append and project in the caller's transaction, whose writer lock the append's reads
        take (with them, one round trip on PostgreSQL; again for each chunk: locks nest).
        last: nothing follows in this transaction, so its COMMIT may go with the writes."""
        small = len(prepared) < COPY_ROWS
        # A few events on PostgreSQL: the projection's lookups go with the append's reads too.
        preload = Preload(conn, prepared) if small and self.dialect == "postgresql" else None
        reads = read_state(conn, entry_keys(prepared), preload.queries if preload else ())
        if preload:
            preload.found = reads.extra
        received_at = now_store_time()
        checked = self._record_identities(conn, identities, received_at)
        # A few events: every write and the COMMIT in one pipeline; many: COPY instead.
        with pipelined_commit(conn, wanted=small and last and reads.tree_current):
            accepted, new = append_batch(
                conn, prepared, submitter=submitter, received_at=received_at, reads=reads
            )
            project_entries(conn, new, preload)
        return accepted, new, checked

    def _record_identities(self, conn: Connection, identities: Identities, now: str) -> list[str]:
        """Seal new identities into the vault (same transaction as the append: all or nothing).

        Returns the key purposes checked in this transaction.
        """
        checked = [self._check_key(conn, "pseudonym", self.pseudonymizer.key, now)]
        if not identities:
            return checked
        vault_key = self.keys.vault_key()
        checked.append(self._check_key(conn, "vault", vault_key, now))
        record_identities(conn, identities, vault_key, now)
        return checked

    def _check_key(self, conn: Connection, purpose: str, key: SymmetricKey, now: str) -> str:
        if purpose not in self._keys_checked:
            check_key(conn, purpose, key, now)
        return purpose

    def count_entries(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(LogEntry)).scalar_one()

    def entries(self, limit: int | None = None, after_seq: int = 0) -> list[dict[str, Any]]:
        """Stored entries in log order, with the event parsed back."""
        query = select(LogEntry).where(LogEntry.seq > after_seq).order_by(LogEntry.seq)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [{**row, "event": json.loads(row["payload"])} for row in rows]
