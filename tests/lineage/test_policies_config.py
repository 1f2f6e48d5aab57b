"""Policy configuration (overrides, scope, errors naming the key) and the approval commands."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from test_policies_support import History, at, context, deployment_subject
from typer.testing import CliRunner

from lineage.accounts.service import add_user
from lineage.authz import PermissionDenied
from lineage.cli.app import app
from lineage.cli.session import LOCAL_OPERATOR
from lineage.review.config import ReviewConfigError
from lineage.review.policies import POLICIES, policy_settings, review_policies
from lineage.review.policies.approvals import approvals
from lineage.store import AuditStore

DOCS = Path(__file__).resolve().parents[2] / "docs" / "POLICIES.md"
PASSWORD = "correct horse battery"


def test_the_documented_example_is_valid_and_every_rule_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", text, re.S)
    assert example is not None
    settings = policy_settings(tomllib.loads(example.group(1)))
    assert settings["policy.metric_below_threshold"]["metrics"]["accuracy"] == 0.9
    assert settings["policy.run_without_actor"]["enabled"] is False
    for policy in POLICIES:
        assert f"### `{policy.name}` ({policy.severity})" in text
        for name in policy.params:
            assert f"`{name}`" in text, f"{policy.name}.{name} is not documented"


@pytest.mark.parametrize(
    ("policies", "key"),
    [
        ({"nope": {}}, "policies.nope"),
        ({"metric_regression": {"tolerence": 0.1}}, "policies.metric_regression.tolerence"),
        ({"metric_regression": {"tolerance": -1}}, "policies.metric_regression.tolerance"),
        ({"metric_regression": {"metrics": "accuracy"}}, "policies.metric_regression.metrics"),
        ({"metric_threshold": {"metrics": {"accuracy": "high"}}}, "metrics.accuracy"),
        ({"metric_threshold": {"metrics": [0.9]}}, "policies.metric_threshold.metrics"),
        ({"run_without_actor": {"enabled": "no"}}, "policies.run_without_actor.enabled"),
        ({"unauthorized_deployer": {"severity": "urgent"}}, "unauthorized_deployer.severity"),
        ({"training_data_changed": {"depth": "deep"}}, "policies.training_data_changed.depth"),
        ({"deployed_without_evaluation": {"actions": ["retire"]}}, "actions"),
        ({"run_without_actor": 3}, "policies.run_without_actor"),
        ({"metric_threshold": {}, "metric_below_threshold": {}}, "pick one"),
    ],
)
def test_bad_configuration_names_the_key(policies: dict[str, Any], key: str) -> None:
    with pytest.raises(ReviewConfigError, match=re.escape(key)):
        policy_settings({"policies": policies})


def test_a_policies_section_that_is_not_a_table() -> None:
    with pytest.raises(ReviewConfigError, match="policies: expected a table"):
        policy_settings({"policies": ["metric_threshold"]})


def test_overrides_change_severity_enablement_and_scope(store: AuditStore, kit: Any) -> None:
    history = History(store, kit)
    history.train("train1", at(0), [history.data("clean", "c1")], "m1")
    history.deploy("deploy1", at(1), "m1")
    expected = deployment_subject(kit, "deploy1")

    def found(policy: dict[str, Any]) -> list[Any]:
        config = {"policies": {"deployed_without_evaluation": policy}}
        return [d for d in review_policies(context(store, config)) if d.subject == expected]

    [default] = found({})
    assert default.severity == "high"
    assert [d.severity for d in found({"severity": "critical"})] == ["critical"]
    assert found({"enabled": False}) == []
    assert found({"models": ["other/*"]}) == []
    assert found({"environments": ["staging"]}) == []
    assert len(found({"models": ["test/mod*"], "environments": ["prod*"]})) == 1
    with pytest.raises(ReviewConfigError, match=re.escape("sensitivity.personal_data")):
        review_policies(context(store, {"sensitivity": {"personal_data": "test/*"}}))


def cli(store: AuditStore, *args: str, **env: str) -> Any:
    url = store.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(app, [*args, "--db", url], env=env)


def test_approve_and_list_approvals(store: AuditStore, kit: Any) -> None:
    History(store, kit).write("ingest", at(0), History(store, kit).data("patients", "p1"))
    done = cli(store, "approve", "patients", "--purpose", "screening", "--expires", "2030-06-30")
    assert done.exit_code == 0, done.output
    assert "approved training on test/patients" in done.output
    by_label = cli(store, "approve", "test/patients", "--purpose", "audit", "--json")
    assert json.loads(by_label.output)["dataset"] == "test/patients"
    listed = json.loads(cli(store, "approvals", "--json").output)
    assert [(a["dataset"], a["purpose"], a["expires"]) for a in listed] == [
        ("test/patients", "screening", "2030-06-30T23:59:59.999999Z"),
        ("test/patients", "audit", None),
    ]
    assert "screening" in cli(store, "approvals").output
    unknown = cli(store, "approve", "nobody", "--purpose", "x")
    assert unknown.exit_code == 2 and "no dataset or model named 'nobody'" in unknown.output
    bad_date = cli(store, "approve", "patients", "--purpose", "x", "--expires", "someday")
    assert bad_date.exit_code == 2 and "not an ISO-8601 time" in bad_date.output
    assert len(approvals(store.engine)) == 2


def test_approving_needs_the_permission_and_a_refusal_is_logged(
    store: AuditStore, kit: Any
) -> None:
    History(store, kit).write("ingest", at(0), History(store, kit).data("patients", "p1"))
    add_user(store, LOCAL_OPERATOR, "eve", ["ml_engineer"], password=PASSWORD, projects=["*"])
    refused = cli(
        store,
        "approve",
        "patients",
        "--purpose",
        "x",
        MLAUDIT_USER="eve",
        MLAUDIT_PASSWORD=PASSWORD,
    )
    assert isinstance(refused.exception, PermissionDenied)
    outcomes = [
        e["event"]["run"]["facets"]["mlaudit_user_action"]["outcome"]
        for e in store.entries()
        if e["event"]["job"]["name"] == "dataset.approve"
    ]
    assert outcomes == ["denied"] and approvals(store.engine) == []
