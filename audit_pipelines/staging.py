"""The demo's staged incidents, after the ordinary scenario: real Dagster runs and real user
actions that the reviews should catch. Nothing here writes a finding or pretends to be Dagster.

1. dave (viewer) deploys the model to staging from Dagster, which has no access control of its
   own: policy.unauthorized_deployer.
2. someone redeploys staging from a shell without a user tag: policy.run_without_actor.
3. carol grants bob the auditor role; bob then exports every dataset with a real Dagster run at
   an hour he never works and pages through the whole audit log: anomaly.escalation_then_bulk_read,
   anomaly.access_volume, anomaly.unusual_hour.
4. dave deletes his staging run from Dagster's history to cover his tracks:
   completeness.missing_in_dagster.
5. an integrity drill: an insider with database access edits dave's deployment entry with the
   log's triggers disabled; the integrity review raises a critical finding; the original bytes
   are restored, and the finding stays open for the auditor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from dagster import Config, DagsterInstance, Definitions, RunConfig
from sqlalchemy import Connection, text

from audit_pipelines.capture.sensor import capture_until_idle
from audit_pipelines.demo_history import DemoPeople
from audit_pipelines.ml.deployment import DeploymentConfig
from audit_pipelines.review.run import review_window, run_review_jobs
from audit_pipelines.scenario import CONSOLE_WARNINGS_ONLY, launch
from lineage.accounts.actions import record_user_action
from lineage.accounts.service import set_roles
from lineage.authz import READ_EVENTS, READ_LINEAGE, Principal, authorize
from lineage.privacy.pseudonyms import pseudonym_for
from lineage.queries.events import list_events
from lineage.queries.history import dataset_history
from lineage.queries.impact import impact
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

STAGING = DeploymentConfig(environment="staging")
LOG_PAGE = 20


@dataclass
class Staged:
    """What was staged, in words for the demo's output, and the runs involved."""

    steps: list[str] = field(default_factory=list)
    runs: dict[str, str] = field(default_factory=dict)


def stage_incidents(
    instance: DagsterInstance, defs: Definitions, store: AuditStore, people: DemoPeople
) -> Staged:
    staged = Staged()
    deploy = {"breast_cancer_deployment": STAGING}
    staged.runs["dave_deploy"] = launch(defs, instance, "deploy_model", "dave", deploy)
    staged.steps.append("dave (viewer) deployed the model to staging from Dagster")
    staged.runs["no_actor"] = _launch_without_user(defs, instance, "deploy_model", deploy)
    staged.steps.append("a staging redeploy was launched with no user tag")
    set_roles(store, people.principal(store, "carol"), "bob", "auditor", grant=True)
    staged.runs["bob_export"] = launch(defs, instance, "export_project", "bob", {})
    bob = people.principal(store, "bob")
    histories = read_every_history(store, bob)
    pages = page_through_log(store, bob)
    staged.steps.append(
        f"carol granted bob the auditor role; bob exported every dataset off-hours, read the "
        f"history and impact of {histories} datasets and the whole audit log in {pages} pages"
    )
    capture_until_idle(instance, defs, store)
    instance.delete_run(staged.runs["dave_deploy"])
    staged.steps.append("dave's staging run was deleted from Dagster's history")
    seq = integrity_drill(instance, store)
    staged.steps.append(
        f"integrity drill: entry #{seq} edited behind the store's back, reviewed, then restored"
    )
    return staged


def _launch_without_user(
    defs: Definitions, instance: DagsterInstance, job: str, ops: dict[str, Config]
) -> str:
    """As `dagster job execute` from a shell does: no `dagster/user` tag on the run."""
    result = defs.resolve_job_def(job).execute_in_process(
        run_config=RunConfig(ops=ops, loggers=CONSOLE_WARNINGS_ONLY), instance=instance
    )
    return result.run_id


def read_every_history(store: AuditStore, reader: Principal) -> int:
    """Who touched each dataset and what it feeds: audited reads, as `mlaudit history` and
    `mlaudit impact` make them. Returns the datasets read."""
    with store.engine.connect() as conn:
        names = conn.execute(text("SELECT namespace, name FROM datasets ORDER BY id")).all()
    for namespace, name in names:
        resource = f"{namespace}/{name}"
        authorize(reader, READ_LINEAGE, resource)
        target = {"kind": "dataset", "name": resource}
        for action, query in (("log.read.history", dataset_history), ("log.read.impact", impact)):
            record_user_action(store, reader, action, target)
            query(store.engine, name, namespace=namespace)
    return len(names)


def page_through_log(store: AuditStore, reader: Principal) -> int:
    """Read the raw log page by page as the CLI's `mlaudit events --after` does, each page an
    audited read; returns the pages read."""
    authorize(reader, READ_EVENTS)
    after, pages = 0, 0
    while True:
        target = {"kind": "log", "name": "events"}
        record_user_action(store, reader, "log.read.events", target, details={"after": after})
        rows = list_events(store.engine, limit=LOG_PAGE, after_seq=after)
        pages += 1
        if len(rows) < LOG_PAGE:
            return pages
        after = rows[-1]["seq"]


def integrity_drill(instance: DagsterInstance, store: AuditStore) -> int:
    """Edit dave's deployment entry to name carol, run the integrity review, restore the bytes."""
    dave_psn, carol_psn = store_pseudonym(store, "dave"), store_pseudonym(store, "carol")
    with store.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT seq, payload FROM audit_log WHERE actor = :actor "
                "AND job_name = 'breast_cancer_deployment' ORDER BY seq DESC LIMIT 1"
            ),
            {"actor": dave_psn},
        ).one()
    edited = row.payload.replace(dave_psn, carol_psn)
    with triggers_disabled(store) as conn:
        _set_payload(conn, row.seq, edited)
    window = review_window(now_store_time(), None)
    run_review_jobs(store, instance, ["integrity"], window)
    with triggers_disabled(store) as conn:
        _set_payload(conn, row.seq, row.payload)
    return int(row.seq)


def store_pseudonym(store: AuditStore, name: str) -> str:
    return pseudonym_for(name, store.keys.pseudonym_key())


@contextmanager
def triggers_disabled(store: AuditStore) -> Iterator[Connection]:
    """A transaction with the append-only guards of `audit_log` off, as an insider with the
    database owner's rights could do; the guards are back when it commits."""
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "sqlite":
            guards = conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'audit_log'"
                )
            ).all()
            for guard in guards:
                conn.execute(text(f'DROP TRIGGER "{guard.name}"'))
            yield conn
            for guard in guards:
                conn.execute(text(guard.sql))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            yield conn
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _set_payload(conn: Connection, seq: int, payload: str) -> None:
    conn.execute(text("UPDATE audit_log SET payload = :p WHERE seq = :s"), {"p": payload, "s": seq})
