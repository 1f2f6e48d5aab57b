"""Shared helpers for the retention tests (no tests here): an old history and an archiver."""

from __future__ import annotations

from pathlib import Path

from lineage.authz import Principal
from lineage.retention.archive import ArchiveOutcome, archive_due
from lineage.retention.policy import RetentionPolicy
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

ADMIN = Principal(name="olga.ops", roles=("admin",))
AUDITOR = Principal(name="ann.auditor", roles=("auditor",))
OLD = 12  # entries from 2016, seqs 1..12
ONE_YEAR = RetentionPolicy(default_days=365)


def old_history(store: AuditStore, kit, recent: int = 3) -> None:  # type: ignore[no-untyped-def]
    """12 events from January 2016 (reads of `raw`, each writing `out<i>`; every fourth one
    trains a model by a named person), then `recent` events from now."""
    events = []
    for i in range(OLD):
        outputs = [kit.dataset(f"out{i}", model=i % 4 == 3)]
        actor = "dana.scientist" if i % 4 == 3 else None
        time = f"2016-01-{i + 1:02d}T00:00:00Z"
        events.append(
            kit.event(
                f"old{i}",
                "job",
                time=time,
                inputs=[kit.dataset("raw")],
                outputs=outputs,
                actor=actor,
            )
        )
    for i in range(recent):
        events.append(
            kit.event(f"new{i}", "job", time=now_store_time(), inputs=[kit.dataset("raw")])
        )
    store.ingest(events)


def archive(store: AuditStore, folder: Path, policy: RetentionPolicy = ONE_YEAR) -> ArchiveOutcome:
    return archive_due(store, ADMIN, policy, out=folder)
