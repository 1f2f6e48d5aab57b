"""The raw log for people: filtered by time, category, actor, dataset or model, a page at a time.

Pages are keyset pages on `seq` (newest first by default: an auditor starts from what just
happened), so page 10,000 of a million-entry log costs what page 1 does. Every filter is a
condition on an indexed column or an indexed sub-select, never a scan loaded into Python.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, select, union

from lineage.models import DataAccess, Deployment, EntryCategory, Evaluation, LogEntry
from lineage.queries.resolve import resolve_dataset
from lineage.timeutil import to_store_time

LOG = LogEntry.__table__
CATS = EntryCategory.__table__
ACCESS = DataAccess.__table__
COLUMNS = (
    LOG.c.seq,
    LOG.c.event_time,
    LOG.c.received_at,
    LOG.c.event_type,
    LOG.c.job_namespace,
    LOG.c.job_name,
    LOG.c.run_id,
    LOG.c.actor,
    LOG.c.submitter,
    LOG.c.entry_hash,
    LOG.c.payload,
)


def search_entries(
    engine: Engine,
    *,
    since: str | None = None,
    until: str | None = None,
    actor: str | None = None,
    category: str | None = None,
    dataset: tuple[str, str] | None = None,
    model: tuple[str, str] | None = None,
    before_seq: int | None = None,
    after_seq: int | None = None,
    newest_first: bool = True,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """One page of entries; `dataset` and `model` are (namespace, name)."""
    query = select(*COLUMNS).limit(max(1, min(limit, 1000)))
    query = query.order_by(LOG.c.seq.desc() if newest_first else LOG.c.seq)
    if before_seq is not None:
        query = query.where(LOG.c.seq < before_seq)
    if after_seq is not None:
        query = query.where(LOG.c.seq > after_seq)
    if since:
        query = query.where(LOG.c.event_time >= to_store_time(since))
    if until:
        query = query.where(LOG.c.event_time <= to_store_time(until))
    if actor:
        query = query.where(LOG.c.actor == actor)
    if category:
        query = query.where(LOG.c.seq.in_(select(CATS.c.seq).where(CATS.c.category == category)))
    with engine.connect() as conn:
        for pair, touching in ((dataset, _dataset_seqs), (model, _model_seqs)):
            if pair:
                found = resolve_dataset(conn, pair[1], namespace=pair[0])
                query = query.where(LOG.c.seq.in_(touching(found["id"])))
        rows = [dict(r._mapping) for r in conn.execute(query)]
        categories = load_categories(conn, [r["seq"] for r in rows])
    return [entry_view(r, categories.get(r["seq"], [])) for r in rows]


def _dataset_seqs(dataset_id: int) -> Any:
    """Entries that created, modified, read or deleted the dataset."""
    return select(ACCESS.c.seq).where(ACCESS.c.dataset_id == dataset_id)


def _model_seqs(dataset_id: int) -> Any:
    """Entries about a model: its data access, its evaluations and its deployments."""
    evaluations, deployments = Evaluation.__table__, Deployment.__table__
    return union(
        _dataset_seqs(dataset_id),
        select(evaluations.c.seq).where(evaluations.c.model_dataset_id == dataset_id),
        select(deployments.c.seq).where(deployments.c.model_dataset_id == dataset_id),
    )


def load_categories(conn: Connection, seqs: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if seqs:
        query = select(CATS.c.seq, CATS.c.category).where(CATS.c.seq.in_(seqs))
        for seq, category in conn.execute(query):
            found.setdefault(seq, []).append(category)
    return found


def entry_view(row: dict[str, Any], categories: list[str]) -> dict[str, Any]:
    """An entry as a table row: who, what, on which data; the stored event itself under `event`."""
    event = json.loads(row["payload"])
    facets = (event.get("run") or {}).get("facets") or {}
    action = facets.get("mlaudit_user_action") or {}
    target = action.get("target") or {}
    return {
        "seq": row["seq"],
        "event_time": row["event_time"],
        "received_at": row["received_at"],
        "event_type": row["event_type"],
        "categories": sorted(categories),
        "actor": row["actor"],
        "job": f"{row['job_namespace']}/{row['job_name']}" if row["job_name"] else None,
        "run_id": row["run_id"],
        "action": action.get("action"),
        "outcome": action.get("outcome"),
        "target": f"{target.get('kind')}:{target.get('name')}" if target else None,
        "inputs": [f"{d['namespace']}/{d['name']}" for d in event.get("inputs") or []],
        "outputs": [f"{d['namespace']}/{d['name']}" for d in event.get("outputs") or []],
        "entry_hash": row["entry_hash"],
        "submitter": row["submitter"],
        "event": event,
    }
