"""anomaly.first_sensitive_access: an actor's first-ever access to a dataset holding personal
data, when the dataset already had an access history by others before the window.

The history by others is the baseline: a brand-new dataset is not an anomaly for whoever creates
or first reads it; an established one that a newcomer starts reading is. Which datasets hold
personal data is decided by `lineage.review.sensitivity`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, text

from lineage.findings.draft import FindingDraft
from lineage.review.anomalies.inputs import Inputs, actor_subject, anomaly, counted
from lineage.review.sensitivity import personal_datasets

RULE = "anomaly.first_sensitive_access"

_ACTOR_JOIN = """
    LEFT JOIN runs r ON r.run_id = da.run_id
    JOIN actors a ON a.id = COALESCE(da.actor_id, r.actor_id)
"""

IN_WINDOW = text(
    f"""
    SELECT a.name AS actor, da.dataset_id, MIN(da.event_time) AS first, COUNT(*) AS n
    FROM data_access da {_ACTOR_JOIN}
    WHERE da.dataset_id IN :datasets AND da.event_time >= :since AND da.event_time < :until
    GROUP BY a.name, da.dataset_id
    """
).bindparams(bindparam("datasets", expanding=True))

BEFORE_WINDOW = text(
    f"""
    SELECT a.name AS actor, da.dataset_id, MIN(da.event_time) AS first, COUNT(*) AS n
    FROM data_access da {_ACTOR_JOIN}
    WHERE da.dataset_id IN :datasets AND da.event_time < :since
    GROUP BY a.name, da.dataset_id
    """
).bindparams(bindparam("datasets", expanding=True))

FIRST_ACCESS = text(
    f"""
    SELECT da.action, da.run_id, da.seq FROM data_access da {_ACTOR_JOIN}
    WHERE da.dataset_id = :dataset AND da.event_time = :first AND a.name = :actor
    ORDER BY da.seq LIMIT 1
    """
)


@dataclass(frozen=True)
class Prior:
    accesses: int = 0
    actors: int = 0
    since: str | None = None


def detect_first_sensitive_access(inputs: Inputs) -> list[FindingDraft]:
    s = inputs.settings.first_sensitive_access
    personal = personal_datasets(inputs.ctx)
    if not personal:
        return []
    period, found = inputs.period, []
    with inputs.ctx.store.engine.connect() as conn:
        params = {"datasets": sorted(personal), "since": period.since, "until": period.until}
        window = conn.execute(IN_WINDOW, params).all()
        touched = sorted({row.dataset_id for row in window})
        before = _before(conn, touched, period.since)
        for row in window:
            if row.actor in before[row.dataset_id]:
                continue
            prior = _others(before[row.dataset_id], row.actor)
            if prior.actors >= s.min_other_actors and prior.accesses >= s.min_other_accesses:
                first = conn.execute(
                    FIRST_ACCESS,
                    {"dataset": row.dataset_id, "first": row.first, "actor": row.actor},
                ).one()
                found.append(_finding(row, personal[row.dataset_id], prior, first))
    return found


def _before(
    conn: Connection, datasets: list[int], since: str
) -> dict[int, dict[str, tuple[int, str]]]:
    """dataset id -> actor -> (accesses, first time) before the window."""
    found: dict[int, dict[str, tuple[int, str]]] = defaultdict(dict)
    if datasets:
        for row in conn.execute(BEFORE_WINDOW, {"datasets": datasets, "since": since}):
            found[row.dataset_id][row.actor] = (int(row.n), row.first)
    return found


def _others(history: dict[str, tuple[int, str]], actor: str) -> Prior:
    others = [value for name, value in history.items() if name != actor]
    if not others:
        return Prior()
    return Prior(sum(n for n, _ in others), len(others), min(t for _, t in others))


def _finding(row: Row[Any], dataset: str, prior: Prior, first: Row[Any]) -> FindingDraft:
    explanation = (
        f"First-ever access by this actor to {dataset}, a dataset holding personal data: a "
        f"{first.action} at {row.first} (run {first.run_id}), {counted(row.n, 'access')} in the "
        f"window. Baseline: before the window the dataset had {counted(prior.accesses, 'access')}"
        f" by {counted(prior.actors, 'other actor')} since {prior.since}, none by this actor."
    )
    return anomaly(
        RULE,
        "medium",
        actor_subject(row.actor),
        f"First access to personal dataset {dataset} by {row.actor}",
        explanation,
        {
            "actor": row.actor,
            "dataset": dataset,
            "dataset_id": row.dataset_id,
            "first_access": {
                "time": row.first,
                "action": first.action,
                "run_id": first.run_id,
                "seq": first.seq,
            },
            "observed": {"accesses_in_window": int(row.n)},
            "baseline": {
                "other_accesses": prior.accesses,
                "other_actors": prior.actors,
                "history_since": prior.since,
                "own_accesses": 0,
            },
        },
        occurred_at=row.first,
        dedupe=f"dataset:{dataset}",
    )
