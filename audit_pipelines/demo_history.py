"""What the demo sets up before its scenario so the reviews have something to judge against:

- **accounts** for the people (alice, bob: ml_engineer; carol: admin; dave: viewer) and for the
  auditor who signs in afterwards (ada: admin and auditor), with generated passwords written to
  `<home>/demo-credentials.txt` (mode 600; `source` it to sign in as ada);
- **routine history**: four weeks of the team's everyday reads, imported as OpenLineage events
  from "the team's previous scheduler" (producer `PREVIOUS_SCHEDULER`, job namespace
  `previous-scheduler`) with past eventTimes, through the one ingest path. They are clearly
  labelled as such in the log and exist so the anomaly baselines are learned from history, not
  invented: alice and carol work around the hour the demo runs at, bob twelve hours away;
- **approvals** to train on the patient records, given by carol before anyone trains.
"""

from __future__ import annotations

import os
import secrets
import shlex
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lineage.accounts.service import add_user, find_account
from lineage.authz import Principal
from lineage.cli.session import LOCAL_OPERATOR
from lineage.facets import schema_url
from lineage.review.policies.approvals import approve
from lineage.store import AuditStore
from lineage.timeutil import to_store_time

PREVIOUS_SCHEDULER = "https://github.com/mlaudit/mlaudit/demo/previous-scheduler"
HISTORY_NAMESPACE = "previous-scheduler"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
CREDENTIALS_FILE = "demo-credentials.txt"
AUDITOR = "ada"
# login name -> (roles, projects)
ACCOUNTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    AUDITOR: (("admin", "auditor"), ()),
    "carol": (("admin",), ()),
    "alice": (("ml_engineer",), ("dagster/*",)),
    "bob": (("ml_engineer",), ("dagster/*",)),
    "dave": (("viewer",), ()),
}
PATIENT_RECORDS = ("dagster/raw_breast_cancer", "dagster/clean_breast_cancer")
APPROVAL_PURPOSE = "train and evaluate the breast-cancer screening model"
HISTORY_DAYS = range(29, 1, -1)  # whole days before the anomaly review's judged day
# (person, offset of the working hour from the demo's hour, job, datasets read); bob works twice
# a day, twelve hours away from when the demo runs.
ROUTINES: tuple[tuple[str, int, str, tuple[str, ...]], ...] = (
    ("alice", 0, "feature_review", ("raw_breast_cancer", "clean_breast_cancer")),
    ("carol", 0, "model_review", ("breast_cancer_features", "breast_cancer_model")),
    ("bob", 11, "data_quality_report", ("clean_breast_cancer", "breast_cancer_features")),
    ("bob", 13, "feature_drift_report", ("breast_cancer_features",)),
)


@dataclass(frozen=True)
class DemoPeople:
    passwords: dict[str, str]
    credentials: Path

    def principal(self, store: AuditStore, name: str) -> Principal:
        """The person as a signed-in session sees them: their account's roles and projects.
        The demo does not re-check the password it just generated: the password hash is slow
        on purpose, and the credentials file is what people sign in with."""
        account = find_account(store, name)
        roles, projects = tuple(account["roles"]), tuple(account["projects"])
        return Principal(name=name, roles=roles, kind="user", projects=projects)


def create_accounts(store: AuditStore, home: Path) -> DemoPeople:
    """The demo's accounts with fresh passwords, and the credentials file to sign in with."""
    passwords = {name: secrets.token_urlsafe(12) for name in ACCOUNTS}
    for name, (roles, projects) in ACCOUNTS.items():
        add_user(store, LOCAL_OPERATOR, name, roles, password=passwords[name], projects=projects)
    path = home / CREDENTIALS_FILE
    lines = [f"# mlaudit demo accounts ({home}); `source` this file to sign in as {AUDITOR}."]
    lines += [
        f"#   {name:<6} {', '.join(roles):<18} {passwords[name]}"
        for name, (roles, _) in ACCOUNTS.items()
    ]
    # The demo's home too: sourced in another directory, the commands would open another store.
    lines.append(f"export MLAUDIT_HOME={shlex.quote(str(home.resolve()))}")
    lines.append(f"export MLAUDIT_USER={AUDITOR} MLAUDIT_PASSWORD={passwords[AUDITOR]}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write("\n".join(lines) + "\n")
    return DemoPeople(passwords, path)


def import_routine_history(store: AuditStore, now: datetime) -> int:
    """Four weeks of the team's routine reads before `now`; returns the events stored."""
    events = [
        routine_event(person, day, now.astimezone(UTC) + timedelta(hours=offset), job, datasets)
        for day in HISTORY_DAYS
        for person, offset, job, datasets in ROUTINES
        if _works_on(person, day)
    ]
    return len(store.ingest(events, submitter=None).accepted)


def approve_patient_records(store: AuditStore, approver: Principal) -> None:
    for dataset in PATIENT_RECORDS:
        approve(store, approver, dataset, APPROVAL_PURPOSE, None)


def routine_event(
    person: str, days_ago: int, hour: datetime, job: str, datasets: tuple[str, ...]
) -> dict[str, Any]:
    """One routine run `days_ago` days before `hour`, within an hour either side of it."""
    start = hour.replace(minute=0, second=0, microsecond=0)
    when = start - timedelta(days=days_ago) + timedelta(hours=(days_ago % 3) - 1)
    when += timedelta(minutes=(days_ago * 7) % 50)
    run_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{PREVIOUS_SCHEDULER}/{person}/{job}/{days_ago}")
    return {
        "eventType": "COMPLETE",
        "eventTime": to_store_time(when),
        "producer": PREVIOUS_SCHEDULER,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": {
            "runId": str(run_id),
            "facets": {
                "mlaudit_actor": {
                    "_producer": PREVIOUS_SCHEDULER,
                    "_schemaURL": schema_url("ActorRunFacet"),
                    "name": person,
                    "kind": "user",
                    "source": HISTORY_NAMESPACE,
                }
            },
        },
        "job": {"namespace": HISTORY_NAMESPACE, "name": job},
        "inputs": [{"namespace": "dagster", "name": name} for name in datasets],
        "outputs": [],
    }


def _works_on(person: str, days_ago: int) -> bool:
    # Everyone skips one day in seven, on different days: a baseline with some variation.
    return (days_ago + len(person)) % 7 != 0
