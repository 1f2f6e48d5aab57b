"""What one person or service did in a time window: a summary, the data touched, the entries.

People are named by their pseudonym, as the log stores them. Every query starts from the log's
`actor` index restricted to the window, so a busy account's year stays a bounded read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from lineage.queries.entries import search_entries
from lineage.queries.search import like_escape
from lineage.timeutil import to_store_time

BY_CATEGORY = text(
    """
    SELECT c.category, COUNT(*) AS entries, MIN(l.event_time) AS first, MAX(l.event_time) AS last
    FROM audit_log l JOIN entry_categories c ON c.seq = l.seq
    WHERE l.actor = :actor AND l.event_time >= :since AND l.event_time <= :until
    GROUP BY c.category ORDER BY c.category
    """
)

DATA_TOUCHED = text(
    """
    SELECT d.namespace, d.name, d.kind, da.action, COUNT(*) AS times,
           MIN(da.event_time) AS first, MAX(da.event_time) AS last
    FROM audit_log l
    JOIN data_access da ON da.seq = l.seq
    JOIN datasets d ON d.id = da.dataset_id
    WHERE l.actor = :actor AND l.event_time >= :since AND l.event_time <= :until
    GROUP BY d.namespace, d.name, d.kind, da.action
    ORDER BY MAX(da.event_time) DESC
    LIMIT :limit
    """
)

ACTORS = text(
    """
    SELECT name, kind, first_seen FROM actors
    WHERE name LIKE :prefix ESCAPE '\\'
    ORDER BY first_seen DESC, id DESC
    LIMIT :limit
    """
)

BEGINNING, END = "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z"


def _window(since: str | None, until: str | None) -> dict[str, str]:
    return {
        "since": to_store_time(since) if since else BEGINNING,
        "until": to_store_time(until) if until else END,
    }


def actor_summary(
    engine: Engine,
    actor: str,
    *,
    since: str | None = None,
    until: str | None = None,
    limit: int = 200,
) -> dict[str, Any]:
    """Entries per category and the datasets and models touched (how, how often, when)."""
    params = {"actor": actor, **_window(since, until)}
    with engine.connect() as conn:
        categories = [dict(r._mapping) for r in conn.execute(BY_CATEGORY, params)]
        touched = [dict(r._mapping) for r in conn.execute(DATA_TOUCHED, {**params, "limit": limit})]
    return {"actor": actor, **params, "categories": categories, "data": touched}


def actor_entries(
    engine: Engine,
    actor: str,
    *,
    since: str | None = None,
    until: str | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """One page of the actor's entries in the window, newest first."""
    return search_entries(
        engine, actor=actor, since=since, until=until, before_seq=before_seq, limit=limit
    )


def known_actors(engine: Engine, prefix: str = "", *, limit: int = 50) -> list[dict[str, Any]]:
    """Actors (pseudonyms for people, names for services) by prefix, newest first."""
    params = {"prefix": like_escape(prefix.strip()) + "%", "limit": max(1, min(limit, 500))}
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(ACTORS, params)]
