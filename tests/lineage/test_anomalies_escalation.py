"""A role grant through the accounts service, then reads by that account: the escalation detector
on SQLite and PostgreSQL. The service stamps its events with the clock, so this history is laid
out in the four weeks before today."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from test_anomalies_history import HISTORY_DAYS, History

from lineage.accounts.actions import record_user_action
from lineage.accounts.service import add_user, set_roles
from lineage.authz import Principal
from lineage.privacy import pseudonym_for
from lineage.review.anomalies import review_anomalies
from lineage.review.context import ReviewContext, ReviewWindow
from lineage.timeutil import now_store_time

ADMIN = Principal(name="root", roles=("admin",), kind="local")
RULE = "anomaly.escalation_then_bulk_read"
ONLY_ESCALATION = {
    "anomalies": {name: {"enabled": False} for name in ("unusual_hour", "access_volume")}
}


def reads_as(store: Any, person: str, roles: tuple[str, ...], count: int) -> None:
    principal = Principal(name=person, roles=roles)
    for _ in range(count):
        record_user_action(store, principal, "log.read.events", {"kind": "log", "name": "events"})


def test_a_grant_followed_by_bulk_reads_fires_for_the_same_pseudonym(store, kit) -> None:  # type: ignore[no-untyped-def]
    history, rng = History(kit, window_day=datetime.now(UTC).date()), random.Random(3)
    for day in range(-HISTORY_DAYS, 0):
        for person in ("dave", "erin", "frank"):
            for _ in range(rng.randint(4, 6)):
                history.log_read(person, history.at(day, rng.randint(10, 16), rng.randint(0, 59)))
    history.ingest(store)
    since = history.at(0, 0)
    add_user(store, ADMIN, "dave", ["viewer"])
    add_user(store, ADMIN, "erin", ["viewer"])
    add_user(store, ADMIN, "frank", ["admin"])
    set_roles(store, ADMIN, "dave", "auditor", grant=True)  # gains the raw log, reveal, ...
    set_roles(store, ADMIN, "erin", "auditor", grant=True)  # the same, but reads as usual
    set_roles(store, ADMIN, "frank", "viewer", grant=True)  # an admin already: gains nothing
    reads_as(store, "dave", ("viewer", "auditor"), 30)
    store.ingest(
        [
            kit.event(
                "dave-export",
                "read",
                time=now_store_time(),
                actor="dave",
                inputs=[kit.dataset(f"shared/table_{k}") for k in range(10)],
            )
        ]
    )
    reads_as(store, "erin", ("viewer", "auditor"), 3)
    reads_as(store, "frank", ("admin", "viewer"), 30)
    until = now_store_time()

    found = review_anomalies(
        ReviewContext(store, ReviewWindow(since, until), until, ONLY_ESCALATION)
    )

    dave = pseudonym_for("dave", store.keys.pseudonym_key())
    assert [(f.rule, f.subject) for f in found] == [(RULE, f"actor:{dave}")]
    finding = found[0]
    usual = sorted(history.reads[("dave", history.at(d, 0)[:10])] for d in range(-HISTORY_DAYS, 0))
    median = (usual[13] + usual[14]) / 2
    assert finding.evidence["observed"] == {"reads": 40, "dataset_reads": 10, "log_reads": 30}
    assert finding.evidence["baseline"]["median"] == median
    assert finding.evidence["grant"]["role"] == "auditor"
    assert {"read_events", "reveal"} <= set(finding.evidence["grant"]["gained_permissions"])
    assert f"median {median:g} reads per day over the 28 days before the window" in (
        finding.explanation
    )
    assert "made 40 reads (10 dataset reads, 30 reads of the audit log)" in finding.explanation
    assert finding.dedupe == f"grant:{finding.evidence['grant']['seq']}"


def test_the_grant_names_the_account_by_the_pseudonym_its_reads_carry(store) -> None:  # type: ignore[no-untyped-def]
    add_user(store, ADMIN, "Dave", ["viewer"])
    set_roles(store, ADMIN, "Dave", "auditor", grant=True)
    reads_as(store, "dave", ("viewer", "auditor"), 1)  # the login name as typed, other case
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT job_name, actor, payload FROM audit_log "
                "WHERE job_name IN ('role.grant', 'log.read.events') ORDER BY seq"
            )
        ).all()
    grant, read = rows
    target = json.loads(grant.payload)["run"]["facets"]["mlaudit_user_action"]["target"]
    assert target["name"] == read.actor == pseudonym_for("dave", store.keys.pseudonym_key())
    assert target["name"].startswith("psn:")
