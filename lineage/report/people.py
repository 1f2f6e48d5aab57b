"""Who acted in a period, by role: people as pseudonyms with their account roles, never names.

An actor's role is read from the account whose subject is the actor's pseudonym (both are the
pseudonym of the same login name); actors without an account (services, schedules, people who
run pipelines without an mlaudit account) fall in the "no account" bucket. An actor with several
roles counts once, under the roles joined by "+".
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import Connection, text

from lineage.privacy import is_pseudonym

NO_ACCOUNT = "no account"
Period = dict[str, str]

ACTORS_IN_PERIOD = text(
    """
    SELECT l.actor, COUNT(*) AS entries, MIN(l.event_time) AS first, MAX(l.event_time) AS last,
           MAX(a.kind) AS kind
    FROM audit_log l LEFT JOIN actors a ON a.name = l.actor
    WHERE l.event_time >= :since AND l.event_time <= :until AND l.actor IS NOT NULL
    GROUP BY l.actor ORDER BY l.actor
    """
)
DATA_ACCESS = text(
    """
    SELECT a.name AS actor, da.action, COUNT(*) AS n
    FROM data_access da JOIN actors a ON a.id = da.actor_id
    WHERE da.event_time >= :since AND da.event_time <= :until
    GROUP BY a.name, da.action
    """
)
USER_ACTIONS = text(
    """
    SELECT l.actor, COUNT(*) AS n
    FROM entry_categories c JOIN audit_log l ON l.seq = c.seq
    WHERE c.category = 'user_action' AND l.actor IS NOT NULL
      AND l.event_time >= :since AND l.event_time <= :until
    GROUP BY l.actor
    """
)
ACCOUNT_ROLES = text("SELECT subject, roles FROM accounts")


def account_roles(conn: Connection) -> dict[str, list[str]]:
    """Roles by account subject (pseudonym)."""
    found = {}
    for row in conn.execute(ACCOUNT_ROLES):
        roles = json.loads(row.roles) if isinstance(row.roles, str) else row.roles
        found[row.subject] = sorted(roles or [])
    return found


def role_key(actor: str, roles: dict[str, list[str]]) -> str:
    return "+".join(roles.get(actor, [])) or NO_ACCOUNT


def people_involved(conn: Connection, period: Period) -> list[dict[str, Any]]:
    """Every actor of an entry in the period: pseudonym (or service name), kind, roles, entries."""
    roles = account_roles(conn)
    return [
        {
            "actor": row.actor,
            "kind": row.kind or "user",
            "person": is_pseudonym(row.actor),
            "roles": roles.get(row.actor, []),
            "entries": row.entries,
            "first": row.first,
            "last": row.last,
        }
        for row in conn.execute(ACTORS_IN_PERIOD, period)
    ]


def access_by_role(conn: Connection, period: Period) -> dict[str, dict[str, Any]]:
    """Per role: how many actors, their dataset accesses by action, and their user actions."""
    roles = account_roles(conn)
    buckets: dict[str, dict[str, Any]] = {}
    actors: dict[str, set[str]] = {}

    def bucket(actor: str) -> dict[str, Any]:
        key = role_key(actor, roles)
        actors.setdefault(key, set()).add(actor)
        return buckets.setdefault(key, {"data_access": Counter(), "user_actions": 0})

    for row in conn.execute(DATA_ACCESS, period):
        bucket(row.actor)["data_access"][row.action] += row.n
    for row in conn.execute(USER_ACTIONS, period):
        bucket(row.actor)["user_actions"] += row.n
    return {
        key: {
            "actors": len(actors[key]),
            "data_access": dict(sorted(value["data_access"].items())),
            "user_actions": value["user_actions"],
        }
        for key, value in sorted(buckets.items())
    }
