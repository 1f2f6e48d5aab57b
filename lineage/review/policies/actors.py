"""policy.run_without_actor: every run must be attributable to a person or an automation.

The Dagster capture marks a run launched with no user, schedule or sensor tag with the actor
`unknown` (kind `unknown`); other producers may send no actor at all. Both count. The child runs
of such a run (its asset steps) are folded into it: one finding per launch, not per step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from lineage.review.context import ReviewContext
from lineage.review.policies.params import Param, names
from lineage.review.policies.rows import fetch, label, window
from lineage.review.policies.rule import Hit, Policy, matches

UNKNOWN = "unknown"

ACTORLESS = text(
    """
    SELECT r.run_id, r.parent_run_id, r.first_seq, r.state,
           COALESCE(r.started_at, r.last_event_time) AS started_at,
           j.namespace, j.name, a.name AS actor
    FROM runs r
    JOIN jobs j ON j.id = r.job_id
    LEFT JOIN actors a ON a.id = r.actor_id
    WHERE COALESCE(r.started_at, r.last_event_time) >= :since
      AND COALESCE(r.started_at, r.last_event_time) <= :until
      AND (r.actor_id IS NULL OR a.kind = :unknown OR a.name = :unknown)
    ORDER BY COALESCE(r.started_at, r.last_event_time), r.run_id
    """
)


def actorless_runs(ctx: ReviewContext, settings: Mapping[str, Any]) -> list[Hit]:
    rows = fetch(ctx, ACTORLESS, unknown=UNKNOWN, **window(ctx))
    for row in rows:
        row["job"] = label(row["namespace"], row["name"])
    rows = [row for row in rows if matches(row["job"], settings["jobs"])]
    runs = {row["run_id"]: {**row, "children": []} for row in rows}
    for row in rows:
        parent = runs.get(row["parent_run_id"] or "")
        if parent is not None and parent is not runs[row["run_id"]]:
            parent["children"].append(row["run_id"])
    folded = {child for run in runs.values() for child in run["children"]}
    return [_hit(run) for run_id, run in runs.items() if run_id not in folded]


def _hit(run: dict[str, Any]) -> Hit:
    marked = "no actor" if run["actor"] is None else "the placeholder actor 'unknown'"
    steps = f", and so do its {len(run['children'])} child run(s)" if run["children"] else ""
    facts = {**run, "marked": marked, "steps": steps}
    evidence = {
        "run_id": run["run_id"],
        "job": run["job"],
        "started_at": run["started_at"],
        "first_seq": run["first_seq"],
        "actor": run["actor"],
        "child_runs": run["children"],
    }
    return Hit(f"run:{run['run_id']}", facts, evidence, run["started_at"])


RUN_WITHOUT_ACTOR = Policy(
    name="policy.run_without_actor",
    severity="medium",
    title="Run {run_id} of {job} has no identifiable actor",
    explanation=(
        "Rule policy.run_without_actor: every run must name who or what launched it (a user, "
        "schedule, sensor or service). Run {run_id} of job {job}, started at {started_at}, "
        "carries {marked}{steps}."
    ),
    query=actorless_runs,
    params={"jobs": Param(("*",), names, '"namespace/name" globs of the jobs looked at')},
)
