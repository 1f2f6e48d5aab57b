"""Which fields are personal: the built-in rules, the email scan, and the rules file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from lineage.keys import SymmetricKey
from lineage.prepare import prepare_one
from lineage.privacy import PrivacyConfigError, Pseudonymizer, RuleSet, load_rules, pseudonym_for
from lineage.privacy.rules import DEFAULT_RULES
from lineage.validation import validate_event

KEY = SymmetricKey("k1", bytes(range(32)))
PRIVACY = Pseudonymizer(KEY, RuleSet())
OWNERSHIP = "https://openlineage.io/spec/facets/1-0-1/OwnershipDatasetFacet.json"
JOB_OWNERSHIP = "https://openlineage.io/spec/facets/1-0-1/OwnershipJobFacet.json"
TAGS = "https://openlineage.io/spec/facets/1-0-0/TagsRunFacet.json"


def psn(name: str) -> str:
    return pseudonym_for(name, KEY)


def owners(*names: str, url: str = OWNERSHIP) -> dict:
    return {
        "_producer": "https://airflow",
        "_schemaURL": url,
        "owners": [{"name": n, "type": "MAINTAINER"} for n in names],
    }


@pytest.fixture
def event(kit) -> dict:  # type: ignore[no-untyped-def]
    e = kit.event(
        "r",
        "train",
        time="2026-01-01T00:00:00Z",
        actor="Alice",
        inputs=[kit.dataset("in", "1", ownership=owners("user:jdoe", "team:data"))],
        outputs=[kit.dataset("out", "2", ownership=owners("erin@corp.example"))],
        mlaudit_dagster=kit.facet(
            "DagsterRunFacet",
            runId="x",
            eventType="RUN_START",
            tags={"dagster/user": "alice", "team": "growth"},
            runConfig={"ops": {"notify": {"config": {"to": "ops@corp.example"}}}},
        ),
        notes={
            "_producer": "mailto:bot@producer.example",
            "_schemaURL": "https://x.example/Notes.json",
            "contact": "Write to Jane.Doe@Example.org or bob@corp.io, not to @handles",
            "count": 3,
            "people": [{"email": "carol@corp.io"}, None, True],
        },
        tags={
            "_producer": "https://x",
            "_schemaURL": TAGS,
            "tags": [{"key": "dagster/user", "value": "dave"}, {"key": "env", "value": "prod"}],
        },
    )
    e["job"]["facets"] = {"ownership": owners("frank", url=JOB_OWNERSHIP)}
    return e


def test_default_rules_pseudonymize_people_and_keep_the_rest(event: dict) -> None:
    before = copy.deepcopy(event)
    out, seen = PRIVACY.event(event)
    assert event == before  # the caller's event is never mutated
    facets = out["run"]["facets"]
    assert facets["mlaudit_actor"]["name"] == psn("alice")
    assert facets["mlaudit_dagster"]["tags"] == {"dagster/user": psn("alice"), "team": "growth"}
    assert facets["tags"]["tags"] == [
        {"key": "dagster/user", "value": psn("dave")},
        {"key": "env", "value": "prod"},
    ]
    assert [o["name"] for o in out["inputs"][0]["facets"]["ownership"]["owners"]] == [
        psn("jdoe"),
        psn("team:data"),
    ]
    assert out["outputs"][0]["facets"]["ownership"]["owners"][0]["name"] == psn("erin@corp.example")
    assert out["job"]["facets"]["ownership"]["owners"][0]["name"] == psn("frank")
    notes = facets["notes"]
    assert notes["contact"] == (
        f"Write to {psn('jane.doe@example.org')} or {psn('bob@corp.io')}, not to @handles"
    )
    assert notes["people"] == [{"email": psn("carol@corp.io")}, None, True]
    assert notes["count"] == 3 and notes["_producer"] == "mailto:bot@producer.example"
    config = facets["mlaudit_dagster"]["runConfig"]["ops"]["notify"]["config"]
    assert config["to"] == psn("ops@corp.example")
    assert seen[psn("alice")] == "Alice"  # first spelling seen, for the vault only
    assert set(seen) >= {psn("jdoe"), psn("frank"), psn("jane.doe@example.org")}
    assert out["inputs"][0]["name"] == "in" and out["run"]["runId"] == event["run"]["runId"]


def test_pseudonymized_events_still_validate_and_are_a_fixed_point(event: dict) -> None:
    out, _ = PRIVACY.event(event)
    assert validate_event(out) == []
    again, seen = PRIVACY.event(out)
    assert again == out and seen == {}


@pytest.mark.parametrize("kind", ["service", "schedule", "sensor"])
def test_automation_identities_stay_readable(kit, kind: str) -> None:  # type: ignore[no-untyped-def]
    actor = kit.facet("ActorRunFacet", name="nightly_retrain", kind=kind)
    e = kit.event("r", "j", time="2026-01-01T00:00:00Z", mlaudit_actor=actor)
    out, seen = PRIVACY.event(e)
    assert out is e and seen == {}


def test_unknown_kind_is_treated_as_a_person_but_the_placeholder_is_not(kit) -> None:  # type: ignore[no-untyped-def]
    for name, expected in (("someone", psn("someone")), ("unknown", "unknown")):
        actor = kit.facet("ActorRunFacet", name=name, kind="unknown")
        e = kit.event("r", "j", time="2026-01-01T00:00:00Z", mlaudit_actor=actor)
        assert PRIVACY.event(e)[0]["run"]["facets"]["mlaudit_actor"]["name"] == expected


def test_dataset_event_owners(kit) -> None:  # type: ignore[no-untyped-def]
    e = {
        "eventTime": "2026-01-01T00:00:00Z",
        "producer": "https://airflow",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {"namespace": "s3://b", "name": "t", "facets": {"ownership": owners("gina")}},
    }
    out, _ = PRIVACY.event(e)
    assert out["dataset"]["facets"]["ownership"]["owners"][0]["name"] == psn("gina")
    assert validate_event(out) == []


def test_email_scan_can_be_turned_off(event: dict) -> None:
    out, _ = Pseudonymizer(KEY, RuleSet(scan_emails=False)).event(event)
    assert "Jane.Doe@Example.org" in out["run"]["facets"]["notes"]["contact"]
    assert out["run"]["facets"]["mlaudit_actor"]["name"] == psn("alice")


def write(tmp_path: Path, name: str, text: str) -> dict[str, str]:
    path = tmp_path / name
    path.write_text(text)
    return {"MLAUDIT_PRIVACY_RULES": str(path)}


def test_rules_file_adds_paths_toml_and_json(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    toml = """
scan_emails = false
[[rules]]
name = "hr-reviewer"
path = '$.run.facets.hr_review["reviewed by"]'
when = { role = "person" }
"""
    rules = load_rules(write(tmp_path, "rules.toml", toml))
    assert rules.fields[: len(DEFAULT_RULES)] == DEFAULT_RULES and not rules.scan_emails
    as_json = {"rules": [{"name": "hr-reviewer", "path": '$.run.facets.hr_review["reviewed by"]',
                          "when": {"role": ["person"]}}], "scan_emails": False}  # fmt: skip
    assert load_rules(write(tmp_path, "rules.json", json.dumps(as_json))) == rules
    review = {"_producer": "https://hr", "_schemaURL": "https://hr/R.json", "role": "person"}
    e = kit.event("r", "j", time="2026-01-01T00:00:00Z", hr_review={**review, "reviewed by": "Ivy"})
    out, _ = Pseudonymizer(KEY, rules).event(e)
    assert out["run"]["facets"]["hr_review"]["reviewed by"] == psn("ivy")
    bot = kit.event("r", "j", time="2026-01-01T00:00:00Z", hr_review={**review, "role": "bot"})
    assert Pseudonymizer(KEY, rules).event(bot)[0] is bot
    assert load_rules({}) == RuleSet()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"rules": [{"name": "r1", "path": "run.facets.x"}]}',
            "rule #1 'r1'.*must start with '\\$'",
        ),
        ('{"rules": [{"name": "r1", "path": "$.run[x]"}]}', "rule #1 'r1'.*unexpected '\\[x\\]'"),
        ('{"rules": [{"name": "r1", "path": "$.a", "color": 1}]}', "rule #1 'r1': unknown key"),
        ('{"rules": [{"name": "actor", "path": "$.a"}]}', "used twice: \\['actor'\\]"),
        ('{"rules": [{"name": "r1", "path": "$.a", "when": {"k": 1}}]}', "rule #1 'r1'.*'when.k'"),
        ('{"rules": [{"name": "r2", "path": "$.a[*]", "when": {"k": "v"}}]}', "'r2'.*member name"),
        ('{"rules": [{"path": "$.a"}]}', "rule #1: 'name' must be"),
        ('{"rules": {"name": "x"}}', "'rules' must be a list"),
        ('{"scan_emails": "yes"}', "scan_emails must be true or false"),
        ('{"rule": []}', "unknown setting"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_rules_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PrivacyConfigError, match=message):
        load_rules(write(tmp_path, "rules.json", text))


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(PrivacyConfigError, match="cannot read"):
        load_rules({"MLAUDIT_PRIVACY_RULES": str(tmp_path / "nope.toml")})


def test_a_custom_rule_that_breaks_the_event_is_rejected(tmp_path: Path, kit) -> None:  # type: ignore[no-untyped-def]
    rules = load_rules(
        write(tmp_path, "r.json", '{"rules": [{"name": "oops", "path": "$.run.runId"}]}')
    )
    e = kit.event("r", "j", time="2026-01-01T00:00:00Z")
    rejected = prepare_one(0, e, privacy=Pseudonymizer(KEY, rules))
    assert rejected.violations[0].path == "$.run.runId"  # type: ignore[union-attr]
    assert "MLAUDIT_PRIVACY_RULES" in rejected.violations[0].message  # type: ignore[union-attr]
