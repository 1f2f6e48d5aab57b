"""`mlaudit findings` through typer's CliRunner: listing, showing, triage, refusals and errors,
and the reads and changes each leaves in the log."""

from __future__ import annotations

import json

import pytest
from test_findings import draft, finding_events, record
from typer.testing import CliRunner

from lineage.accounts.service import add_user
from lineage.cli.app import app
from lineage.cli.session import LOCAL_OPERATOR
from lineage.findings import get_finding, list_findings
from lineage.privacy import pseudonym_for
from lineage.store import AuditStore

PASSWORD = "correct horse battery"


def run(store: AuditStore, *args: str, **env: str):  # type: ignore[no-untyped-def]
    url = store.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(app, ["findings", *args, "--db", url], env=env)


def reads(store: AuditStore) -> list[dict]:
    found = []
    for entry in store.entries():
        facet = entry["event"]["run"]["facets"].get("mlaudit_user_action") or {}
        if facet.get("action", "").startswith("log.read.finding"):
            found.append({**facet, "actor": entry["actor"]})
    return found


@pytest.fixture
def two(store: AuditStore) -> AuditStore:
    record(store, draft(), draft("anomaly.access_volume", kind="anomaly", severity="medium"))
    return store


def test_list_show_ack_resolve(two: AuditStore) -> None:
    listed = run(two)
    assert listed.exit_code == 0, listed.output
    assert "2 finding(s)" in listed.output and "acknowledged" not in listed.output
    assert listed.output.index("high") < listed.output.index("medium"), "most severe first"
    as_json = json.loads(run(two, "--kind", "anomaly", "--json").output)
    assert [f["rule"] for f in as_json] == ["anomaly.access_volume"]
    finding_id = str(as_json[0]["id"])
    shown = run(two, "show", finding_id)
    assert shown.exit_code == 0, shown.output
    assert "production serves a version no evaluation run read" in shown.output
    assert '"environment": "production"' in shown.output and "finding.opened" in shown.output
    acked = run(two, "ack", finding_id, "--note", "on it")
    assert acked.exit_code == 0 and "acknowledged" in acked.output
    resolved = run(two, "resolve", finding_id, "--note", "expected: a load test")
    assert resolved.exit_code == 0, resolved.output
    finding = get_finding(two.engine, int(finding_id))
    assert finding.status == "resolved" and finding.resolution_note == "expected: a load test"
    assert finding.status_by == LOCAL_OPERATOR.name  # a local operator is not a person
    history = json.loads(run(two, "show", finding_id, "--json").output)["history"]
    assert [h["status"] for h in history] == ["open", "acknowledged", "resolved"]
    assert [r["action"] for r in reads(two)] == [
        "log.read.findings",
        "log.read.findings",
        "log.read.finding",
        "log.read.finding",
    ]
    assert [r["details"] for r in reads(two)][:2] == [{}, {"kind": "anomaly"}], reads(two)


def test_errors_exit_2_naming_what_is_wrong(two: AuditStore) -> None:
    for args, message in (
        (("--status", "closed"), "unknown finding status 'closed'"),
        (("--since", "yesterday"), "'--since': 'yesterday' is not an ISO-8601 time"),
        (("show", "999"), "no finding with id 999"),
        (("ack", "999"), "no finding with id 999"),
        (("resolve", "1", "--note", " "), "resolving finding 1 needs a note"),
    ):
        result = run(two, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output.replace("\n", " "), (args, result.output)
    assert run(two, "resolve", "1").exit_code == 2, "--note is required"
    # Refused filters are not reads; asking for finding 999 is (before it turns out missing).
    assert [r["action"] for r in reads(two)] == ["log.read.finding"]
    assert [e["action"] for e in finding_events(two)] == ["finding.opened"] * 2


def test_roles_decide_who_reads_and_who_triages(two: AuditStore) -> None:
    for name, role in (("ada", "admin"), ("vic", "viewer"), ("aud", "auditor")):
        add_user(two, LOCAL_OPERATOR, name, [role], password=PASSWORD)
    viewer = {"MLAUDIT_USER": "vic", "MLAUDIT_PASSWORD": PASSWORD}
    refused = run(two, **viewer)
    assert refused.exit_code == 2 and "may not read_findings" in refused.output
    finding_id = str(list_findings(two.engine)[0].id)
    assert run(two, "ack", finding_id, **viewer).exit_code == 2
    auditor = {"MLAUDIT_USER": "aud", "MLAUDIT_PASSWORD": PASSWORD}
    assert run(two, "ack", finding_id, **auditor).exit_code == 0
    aud = pseudonym_for("aud", two.keys.pseudonym_key())
    assert get_finding(two.engine, int(finding_id)).status_by == aud
    denied = [r for r in reads(two) if r["outcome"] == "denied"]
    assert [r["actor"] for r in denied] == [pseudonym_for("vic", two.keys.pseudonym_key())]
    actions = [(e["action"], e["outcome"]) for e in finding_events(two)]
    assert ("finding.acknowledged", "denied") in actions
    assert actions.count(("finding.acknowledged", "success")) == 1
