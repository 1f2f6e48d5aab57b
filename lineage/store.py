"""The audit store: the one ingest path, and access to what it holds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, func, select

from lineage.append import append_batch
from lineage.db import create_store_engine, migrate, writer_transaction
from lineage.errors import InvalidEventsError
from lineage.ingest_result import Accepted, IngestResult
from lineage.models import LogEntry
from lineage.prepare import PreparedEvent, RawEvent, prepare_batch
from lineage.projection import project_entries
from lineage.settings import Settings
from lineage.timeutil import now_store_time


class AuditStore:
    """An audit log with its projections, on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, run_migrations: bool = True) -> AuditStore:
        engine = create_store_engine(url or Settings.from_env().database_url)
        if run_migrations:
            migrate(engine)
        return cls(engine)

    def close(self) -> None:
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
        prepared, rejected = prepare_batch(list(events))
        if rejected and strict:
            raise InvalidEventsError(rejected)
        result = IngestResult(rejected=rejected)
        result.accepted = self._append(prepared, submitter)
        return result

    def ingest_many(
        self, events: Sequence[RawEvent], *, batch_size: int = 1000, submitter: str | None = None
    ) -> IngestResult:
        """Bulk import: validate everything first, then append in batches of `batch_size`.

        Any invalid event rejects the whole import before anything is written. A crash between
        batches leaves whole batches stored; running the import again completes it (idempotent).
        """
        prepared, rejected = prepare_batch(list(events))
        if rejected:
            raise InvalidEventsError(rejected)
        result = IngestResult()
        for start in range(0, len(prepared), batch_size):
            result.accepted.extend(self._append(prepared[start : start + batch_size], submitter))
        return result

    def _append(self, prepared: list[PreparedEvent], submitter: str | None) -> list[Accepted]:
        if not prepared:
            return []
        with writer_transaction(self.engine) as conn:
            accepted, new = append_batch(
                conn, prepared, submitter=submitter, received_at=now_store_time()
            )
            project_entries(conn, new)
        return sorted(accepted, key=lambda a: a.index)

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
