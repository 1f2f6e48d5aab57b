"""Apply planned events, in log order, to a batch's rows in memory.

Each step is what projecting that one event into the tables would do; `write_state` then stores
the outcome. Order independence lives here: a version first named by an input gets its producer
later (`_claim`), and `create` versus `modify` is decided by event time (`_write_action`).
"""

from __future__ import annotations

from lineage.projection.ml import apply_deployment, apply_evaluation
from lineage.projection.plan import DatasetRef, EventPlan
from lineage.projection.runs import apply_run
from lineage.projection.state import Access, BatchState


def apply_event(state: BatchState, plan: EventPlan) -> None:
    if plan.run_id is None:
        _static(state, plan)
        return
    actor_id = state.actors[plan.actor[0]] if plan.actor else None
    apply_run(state, plan, actor_id)
    for ref in plan.inputs:
        _input(state, plan, ref, actor_id)
    for ref in plan.outputs:
        _output(state, plan, ref, actor_id)
    if plan.evaluation:
        apply_evaluation(state, plan)
    if plan.deployment:
        apply_deployment(state, plan, actor_id)


def dataset(state: BatchState, ref: DatasetRef) -> int:
    dataset_id = state.datasets[ref.key]
    if ref.model:
        state.set_dataset(dataset_id, kind="MODEL")
    return dataset_id


def _static(state: BatchState, plan: EventPlan) -> None:
    """DatasetEvent and JobEvent: datasets and named versions, no edges and no access."""
    for ref in plan.inputs:
        dataset_id = dataset(state, ref)
        if ref.version:
            state.versions.node(dataset_id, ref.version, plan.when)


def _input(state: BatchState, plan: EventPlan, ref: DatasetRef, actor_id: int | None) -> None:
    dataset_id = dataset(state, ref)
    version_id = state.versions.node(dataset_id, ref.version, plan.when)
    if _edge(state, "run_inputs", plan, version_id):
        _access(state, plan, dataset_id, version_id, actor_id, "read")


def _output(state: BatchState, plan: EventPlan, ref: DatasetRef, actor_id: int | None) -> None:
    dataset_id = dataset(state, ref)
    if ref.deleting:
        latest = state.versions.latest(dataset_id, plan.when)
        state.set_dataset(dataset_id, deleted_at=plan.when)
        _access(state, plan, dataset_id, latest, actor_id, "delete")
        return
    version_id = _claim(state, plan, dataset_id, ref)
    if _edge(state, "run_outputs", plan, version_id):
        action = _write_action(state, dataset_id, plan.when)
        _access(state, plan, dataset_id, version_id, actor_id, action)
    if ref.facets:
        state.set_dataset(dataset_id, deleted_at=None)


def _claim(state: BatchState, plan: EventPlan, dataset_id: int, ref: DatasetRef) -> int:
    """Create the output's version, or give a version first seen as an input its producer."""
    versions = state.versions
    found = versions.find(dataset_id, ref.version)
    if found is None:
        extra = {"run_id": plan.run_id, "seq": plan.seq, "facets": ref.facets}
        return versions.create(dataset_id, ref.version, plan.when, **extra).id
    if found.run_id is None:
        found.run_id, found.seq, found.facets = plan.run_id, plan.seq, ref.facets
        if plan.when < found.created_at:
            found.created_at = plan.when
            if found.id > 0:
                versions.moved.add(found.id)
        found.changed = True
    return found.id


def _write_action(state: BatchState, dataset_id: int, when: str) -> str:
    """`create` for a dataset's earliest write, `modify` after, whatever the arrival order."""
    first = state.creates.get(dataset_id)
    if first is None:
        return "create"
    if first.event_time <= when:
        return "modify"
    first.action = "modify"
    if first.stored_id is not None:
        state.demoted.append(first.stored_id)
    return "create"


def _edge(state: BatchState, table: str, plan: EventPlan, version_id: int) -> bool:
    """Record a run-dataset edge once; True when it is new."""
    key = (plan.run_id or "", version_id)
    known = state.edges[table]
    if key in known:
        return False
    known.add(key)
    state.new_edges[table].append((*key, plan.when, plan.seq))
    return True


def _access(
    state: BatchState,
    plan: EventPlan,
    dataset_id: int,
    version_id: int | None,
    actor_id: int | None,
    action: str,
) -> None:
    row = Access(plan.seq, dataset_id, version_id, plan.run_id, actor_id, action, plan.when)
    state.access.append(row)
    if action == "create":
        state.creates[dataset_id] = row
