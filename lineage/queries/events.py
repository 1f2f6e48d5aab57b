"""The raw audit log, filtered and paged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select

from lineage.models import EntryCategory, LogEntry
from lineage.timeutil import to_store_time


def list_events(
    engine: Engine,
    *,
    since: str | None = None,
    until: str | None = None,
    actor: str | Sequence[str] | None = None,
    category: str | None = None,
    limit: int = 100,
    after_seq: int = 0,
    with_payload: bool = False,
) -> list[dict[str, Any]]:
    """Entries in log order; `after_seq` pages forward."""
    log = LogEntry.__table__
    query = select(log).where(log.c.seq > after_seq).order_by(log.c.seq).limit(limit)
    if since:
        query = query.where(log.c.event_time >= to_store_time(since))
    if until:
        query = query.where(log.c.event_time <= to_store_time(until))
    if actor:
        query = query.where(log.c.actor.in_([actor] if isinstance(actor, str) else list(actor)))
    if category:
        cats = EntryCategory.__table__
        query = query.where(log.c.seq.in_(select(cats.c.seq).where(cats.c.category == category)))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        categories = _categories(conn, [r["seq"] for r in rows])
    return [_view(r, categories.get(r["seq"], []), with_payload) for r in rows]


def _categories(conn: Any, seqs: list[int]) -> dict[int, list[str]]:
    if not seqs:
        return {}
    cats = EntryCategory.__table__
    found: dict[int, list[str]] = {}
    for seq, category in conn.execute(
        select(cats.c.seq, cats.c.category).where(cats.c.seq.in_(seqs))
    ):
        found.setdefault(seq, []).append(category)
    return found


def _view(row: dict[str, Any], categories: list[str], with_payload: bool) -> dict[str, Any]:
    event = json.loads(row["payload"])
    view = {
        "seq": row["seq"],
        "event_time": row["event_time"],
        "received_at": row["received_at"],
        "event_type": row["event_type"],
        "categories": sorted(categories),
        "actor": row["actor"],
        "submitter": row["submitter"],  # the account that sent it (a pseudonym), if one did
        "job": f"{row['job_namespace']}/{row['job_name']}" if row["job_name"] else None,
        "run_id": row["run_id"],
        "inputs": [f"{d['namespace']}/{d['name']}" for d in event.get("inputs") or []],
        "outputs": [f"{d['namespace']}/{d['name']}" for d in event.get("outputs") or []],
        "key": row["key"],
        "entry_hash": row["entry_hash"],
    }
    if with_payload:
        view["event"] = event
        view["normalizations"] = json.loads(row["normalizations"])
    return view
