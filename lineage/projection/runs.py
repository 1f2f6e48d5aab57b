"""Runs: created by their first event, then each event merges facets and moves the state."""

from __future__ import annotations

from typing import Any

from lineage.projection.plan import EventPlan
from lineage.projection.state import BatchState

TERMINAL = {"COMPLETE", "FAIL", "ABORT"}


def apply_run(state: BatchState, plan: EventPlan, actor_id: int | None) -> None:
    assert plan.job is not None and plan.run_id is not None  # a RunEvent names both
    facets = plan.run_facets
    current = state.runs.get(plan.run_id)
    if current is None:
        job_id = state.jobs[plan.job]
        state.runs[plan.run_id] = _new_run(plan, job_id, actor_id)
        return
    current["last_seq"] = max(current["last_seq"], plan.seq)
    current["facets"] = {**current["facets"], **facets}
    current["last_event_time"] = max(current["last_event_time"], plan.when)
    current.update(_state_change(current, plan.kind, plan.when))
    if actor_id is not None:
        current["actor_id"] = actor_id
    if "parent" in facets:
        current["parent_run_id"] = _parent_id(facets)


def _new_run(plan: EventPlan, job_id: int, actor_id: int | None) -> dict[str, Any]:
    kind, when = plan.kind, plan.when
    return {
        "run_id": plan.run_id,
        "job_id": job_id,
        "parent_run_id": _parent_id(plan.run_facets),
        "state": _state_name(kind),
        "started_at": when if kind in ("START", "RUNNING") else None,
        "ended_at": when if kind in TERMINAL else None,
        "last_event_time": when,
        "actor_id": actor_id,
        "facets": plan.run_facets,
        "first_seq": plan.seq,
        "last_seq": plan.seq,
    }


def _state_name(kind: str) -> str:
    return "RUNNING" if kind == "START" else kind


def _state_change(current: dict[str, Any], kind: str, when: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if kind == "START" and (current["started_at"] is None or when < current["started_at"]):
        values["started_at"] = when
    if kind in TERMINAL:
        values["ended_at"] = when
        values["state"] = kind
    elif current["state"] not in TERMINAL:
        values["state"] = _state_name(kind)
    return values


def _parent_id(facets: dict[str, Any]) -> str | None:
    return ((facets.get("parent") or {}).get("run") or {}).get("runId")
