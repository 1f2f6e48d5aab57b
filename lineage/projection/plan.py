"""What one event asks of the projections, read from the event once.

A batch is planned first, so everything it names (jobs, datasets, actors, runs, versions) can be
looked up with one query per table before any event is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage.categories import is_model
from lineage.projection.versions import output_version

DELETING = {"DROP", "TRUNCATE"}
Key = tuple[str, str]


@dataclass(slots=True)
class DatasetRef:
    """A dataset an event names, and the version it names (None: none named)."""

    key: Key
    model: bool
    version: Any = None
    facets: dict[str, Any] = field(default_factory=dict)
    deleting: bool = False


@dataclass(slots=True)
class EventPlan:
    seq: int
    when: str
    run_id: str | None
    kind: str
    job: Key | None
    job_type: str | None
    run_facets: dict[str, Any]
    actor: tuple[str, str] | None
    inputs: list[DatasetRef]  # of an event without a run: every dataset it names
    outputs: list[DatasetRef]
    # Model references of the ML facets (datasets too, always of kind MODEL).
    evaluation: tuple[DatasetRef, dict[str, Any]] | None = None
    deployment: tuple[DatasetRef, dict[str, Any]] | None = None

    def datasets(self) -> list[DatasetRef]:
        """Every dataset reference, in the order the projection first touches them."""
        refs = [*self.inputs, *self.outputs]
        refs.extend(ref for ref, _ in filter(None, (self.evaluation, self.deployment)))
        return refs


def plan_event(seq: int, event: dict[str, Any], when: str) -> EventPlan:
    run = event.get("run")
    job = event.get("job")
    job_key = (job["namespace"], job["name"]) if job else None
    job_type = ((job.get("facets") or {}).get("jobType") or {}).get("jobType") if job else None
    if not run:
        # DatasetEvent and JobEvent: metadata without a run, so no edges and no access.
        refs = [event.get("dataset"), *(event.get("inputs") or []), *(event.get("outputs") or [])]
        statics = [_named(ref) for ref in refs if ref]
        return EventPlan(seq, when, None, "", job_key, job_type, {}, None, statics, [])
    facets = run.get("facets") or {}
    run_id = run["runId"]
    plan = EventPlan(
        seq=seq,
        when=when,
        run_id=run_id,
        kind=event.get("eventType") or "OTHER",
        job=job_key,
        job_type=job_type,
        run_facets=facets,
        actor=_actor(facets),
        inputs=[_named(ref) for ref in event.get("inputs") or []],
        outputs=[_output(ref, run_id) for ref in event.get("outputs") or []],
    )
    for name in ("evaluation", "deployment"):
        if f"mlaudit_{name}" in facets:
            facet = facets[f"mlaudit_{name}"]
            setattr(plan, name, (_model(facet["model"]), facet))
    return plan


def _actor(facets: dict[str, Any]) -> tuple[str, str] | None:
    actor = facets.get("mlaudit_actor")
    if not actor or not actor.get("name"):
        return None
    return actor["name"], actor.get("kind", "user")


def _named(ref: dict[str, Any]) -> DatasetRef:
    """An input (or a dataset of an event without a run): the version its facet names."""
    version = ((ref.get("facets") or {}).get("version") or {}).get("datasetVersion")
    return DatasetRef((ref["namespace"], ref["name"]), is_model(ref), version)


def _output(ref: dict[str, Any], run_id: str) -> DatasetRef:
    facets = ref.get("facets") or {}
    change = str((facets.get("lifecycleStateChange") or {}).get("lifecycleStateChange", ""))
    key = (ref["namespace"], ref["name"])
    if change.upper() in DELETING:
        return DatasetRef(key, is_model(ref), None, facets, deleting=True)
    return DatasetRef(key, is_model(ref), output_version(facets, run_id), facets)


def _model(ref: dict[str, Any]) -> DatasetRef:
    return DatasetRef((ref["namespace"], ref["name"]), True, ref.get("version"))
