"""Projects one event at a time into runs, the lineage graph and the audit projections."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from lineage.categories import is_model
from lineage.models import DataAccess, DatasetVersion, Run, RunInput, RunOutput
from lineage.projection.versions import output_version
from projection_reference.ml import project_deployment, project_evaluation
from projection_reference.rows import (
    RowCache,
    find_version,
    insert_version,
    latest_version_at,
)

TERMINAL = {"COMPLETE", "FAIL", "ABORT"}
DELETING = {"DROP", "TRUNCATE"}


class Projector:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.rows = RowCache(conn)

    def project(self, seq: int, event: dict[str, Any], when: str) -> None:
        run = event.get("run")
        if not run:
            self._static(event, when)
            return
        run_id = run["runId"]
        facets = run.get("facets") or {}
        actor_id = self._actor(facets, when)
        self._run(seq, event, when, actor_id)
        for dataset in event.get("inputs") or []:
            self._input(seq, run_id, dataset, when, actor_id)
        for dataset in event.get("outputs") or []:
            self._output(seq, run_id, dataset, when, actor_id)
        if "mlaudit_evaluation" in facets:
            project_evaluation(self, seq, run_id, facets["mlaudit_evaluation"], when)
        if "mlaudit_deployment" in facets:
            project_deployment(self, seq, run_id, facets["mlaudit_deployment"], when, actor_id)

    def _actor(self, facets: dict[str, Any], when: str) -> int | None:
        actor = facets.get("mlaudit_actor")
        if not actor or not actor.get("name"):
            return None
        return self.rows.actor_id(actor["name"], actor.get("kind", "user"), when)

    def _run(self, seq: int, event: dict[str, Any], when: str, actor_id: int | None) -> None:
        job = event["job"]
        facets = event["run"].get("facets") or {}
        job_type = ((job.get("facets") or {}).get("jobType") or {}).get("jobType")
        job_id = self.rows.job_id(job["namespace"], job["name"], when, job_type)
        table = Run.__table__
        run_id = event["run"]["runId"]
        kind = event.get("eventType") or "OTHER"
        row = self.conn.execute(select(table).where(table.c.run_id == run_id)).first()
        if row is None:
            self.conn.execute(
                insert(table).values(**_new_run(run_id, job_id, kind, when, seq, facets, actor_id))
            )
            return
        current = dict(row._mapping)
        values: dict[str, Any] = {"last_seq": max(current["last_seq"], seq)}
        values["facets"] = {**current["facets"], **facets}
        values["last_event_time"] = max(current["last_event_time"], when)
        values.update(_state_change(current, kind, when))
        if actor_id is not None:
            values["actor_id"] = actor_id
        if "parent" in facets:
            values["parent_run_id"] = _parent_id(facets)
        self.conn.execute(update(table).where(table.c.run_id == run_id).values(**values))

    def dataset(self, ref: dict[str, Any], when: str) -> int:
        dataset_id = self.rows.dataset_id(ref["namespace"], ref["name"], when)
        if is_model(ref):
            self.rows.update_dataset(dataset_id, kind="MODEL")
        return dataset_id

    def _input(
        self, seq: int, run_id: str, ref: dict[str, Any], when: str, actor: int | None
    ) -> None:
        dataset_id = self.dataset(ref, when)
        version = ((ref.get("facets") or {}).get("version") or {}).get("datasetVersion")
        version_id = self.version_id(dataset_id, version, when)
        if self._edge(RunInput, run_id, version_id, when, seq):
            self._access(seq, dataset_id, version_id, run_id, actor, "read", when)

    def _output(
        self, seq: int, run_id: str, ref: dict[str, Any], when: str, actor: int | None
    ) -> None:
        dataset_id = self.dataset(ref, when)
        facets = ref.get("facets") or {}
        change = str((facets.get("lifecycleStateChange") or {}).get("lifecycleStateChange", ""))
        if change.upper() in DELETING:
            latest = latest_version_at(self.conn, dataset_id, when)
            self.rows.update_dataset(dataset_id, deleted_at=when)
            self._access(seq, dataset_id, latest, run_id, actor, "delete", when)
            return
        version = output_version(facets, run_id)
        existing = find_version(self.conn, dataset_id, version)
        version_id = self._claim_version(existing, dataset_id, version, run_id, when, seq, facets)
        if self._edge(RunOutput, run_id, version_id, when, seq):
            action = self._write_action(dataset_id, when)
            self._access(seq, dataset_id, version_id, run_id, actor, action, when)
        if facets:
            self.rows.update_dataset(dataset_id, deleted_at=None)

    def _claim_version(
        self,
        existing: dict[str, Any] | None,
        dataset_id: int,
        version: str,
        run_id: str,
        when: str,
        seq: int,
        facets: dict[str, Any],
    ) -> int:
        """Create the version, or give a version first seen as an input its producer."""
        if existing is None:
            return insert_version(
                self.conn, dataset_id, version, when, run_id=run_id, seq=seq, facets=facets
            )
        if existing["run_id"] is None:
            table = DatasetVersion.__table__
            self.conn.execute(
                update(table)
                .where(table.c.id == existing["id"])
                .values(
                    run_id=run_id,
                    created_at=min(existing["created_at"], when),
                    seq=seq,
                    facets=facets,
                )
            )
        return existing["id"]

    def _write_action(self, dataset_id: int, when: str) -> str:
        """`create` for a dataset's earliest write, `modify` after, whatever the arrival order."""
        table = DataAccess.__table__
        first = self.conn.execute(
            select(table.c.id, table.c.event_time).where(
                table.c.dataset_id == dataset_id, table.c.action == "create"
            )
        ).first()
        if first is None:
            return "create"
        if first.event_time <= when:
            return "modify"
        self.conn.execute(update(table).where(table.c.id == first.id).values(action="modify"))
        return "create"

    def version_id(self, dataset_id: int, version: str | None, when: str) -> int:
        """The node an input or a model reference points at."""
        if version:
            existing = find_version(self.conn, dataset_id, version)
            return (
                existing["id"] if existing else insert_version(self.conn, dataset_id, version, when)
            )
        latest = latest_version_at(self.conn, dataset_id, when)
        if latest is not None:
            return latest
        unversioned = find_version(self.conn, dataset_id, "")
        return unversioned["id"] if unversioned else insert_version(self.conn, dataset_id, "", when)

    def _edge(self, model: type, run_id: str, version_id: int, when: str, seq: int) -> bool:
        """Insert a run-dataset edge once; True when it is new."""
        table = model.__table__
        exists = self.conn.execute(
            select(table.c.seq).where(table.c.run_id == run_id, table.c.version_id == version_id)
        ).first()
        if exists:
            return False
        values = {"run_id": run_id, "version_id": version_id, "event_time": when, "seq": seq}
        self.conn.execute(insert(table).values(**values))
        return True

    def _access(
        self,
        seq: int,
        dataset_id: int,
        version_id: int | None,
        run_id: str | None,
        actor_id: int | None,
        action: str,
        when: str,
    ) -> None:
        values = {
            "seq": seq,
            "dataset_id": dataset_id,
            "version_id": version_id,
            "run_id": run_id,
            "actor_id": actor_id,
            "action": action,
            "event_time": when,
        }
        self.conn.execute(insert(DataAccess.__table__).values(**values))

    def _static(self, event: dict[str, Any], when: str) -> None:
        """DatasetEvent and JobEvent: metadata without a run, so no edges and no access."""
        job = event.get("job")
        if job:
            job_type = ((job.get("facets") or {}).get("jobType") or {}).get("jobType")
            self.rows.job_id(job["namespace"], job["name"], when, job_type)
        refs = [event.get("dataset"), *(event.get("inputs") or []), *(event.get("outputs") or [])]
        for ref in filter(None, refs):
            dataset_id = self.dataset(ref, when)
            version = ((ref.get("facets") or {}).get("version") or {}).get("datasetVersion")
            if version:
                self.version_id(dataset_id, version, when)


def _new_run(
    run_id: str,
    job_id: int,
    kind: str,
    when: str,
    seq: int,
    facets: dict[str, Any],
    actor_id: int | None,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "job_id": job_id,
        "parent_run_id": _parent_id(facets),
        "state": _state_name(kind),
        "started_at": when if kind in ("START", "RUNNING") else None,
        "ended_at": when if kind in TERMINAL else None,
        "last_event_time": when,
        "actor_id": actor_id,
        "facets": facets,
        "first_seq": seq,
        "last_seq": seq,
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
