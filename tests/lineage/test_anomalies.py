"""Each anomaly staged on top of four weeks of routine work fires once, on the right subject, and
says which baseline it was judged against and what was observed (SQLite and PostgreSQL)."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from test_anomalies_history import HISTORY_DAYS, History, routine_world

from lineage.findings import list_findings
from lineage.findings.draft import FindingDraft
from lineage.privacy import pseudonym_for
from lineage.review.anomalies import review_anomalies
from lineage.review.anomalies.access import Actors, load_profile
from lineage.review.anomalies.settings import load_settings
from lineage.review.config import ReviewConfigError
from lineage.review.runner import SERVICE_PRINCIPAL, run_reviews


def staged_world(kit: Any) -> History:
    world = routine_world(kit, deployed_accuracy=0.80)
    for batch in range(3):  # alice: 120 reads on top of her dozen
        tables = [f"shared/table_{k}" for k in range(40)]
        world.read("alice", tables, world.at(0, 13, 10 * batch))
    world.read("grace", ["shared/table_1", "shared/table_2", "shared/table_3"], world.at(0, 3, 10))
    world.read("erin", ["patients"], world.at(0, 11, 30))
    world.delete("frank", [f"shared/old_{k}" for k in range(30)], world.at(0, 14, 5))
    return world


@pytest.fixture
def staged(store, kit):  # type: ignore[no-untyped-def]
    world = staged_world(kit)
    world.ingest(store)
    return world, review_anomalies(world.context(store))


def psn(store: Any, name: str) -> str:
    return pseudonym_for(name, store.keys.pseudonym_key())


def one(found: list[FindingDraft], rule: str) -> FindingDraft:
    matching = [f for f in found if f.rule == rule]
    assert len(matching) == 1, [(f.rule, f.subject) for f in found]
    return matching[0]


def test_each_staged_anomaly_fires_once_and_nothing_else(store, staged) -> None:  # type: ignore[no-untyped-def]
    _, found = staged
    assert sorted((f.rule, f.subject) for f in found) == sorted(
        [
            ("anomaly.access_volume", f"actor:{psn(store, 'alice')}"),
            ("anomaly.unusual_hour", f"actor:{psn(store, 'grace')}"),
            ("anomaly.first_sensitive_access", f"actor:{psn(store, 'erin')}"),
            ("anomaly.mass_deletion", f"actor:{psn(store, 'frank')}"),
            ("anomaly.metric_drop_at_deploy", "model:test/model@m6"),
        ]
    )
    assert {f.kind for f in found} == {"anomaly"}


def check_access_volume_states_the_daily_baseline(store: Any, staged: Any) -> None:
    world, found = staged
    finding = one(found, "anomaly.access_volume")
    days = [world.at(d, 0)[:10] for d in range(-HISTORY_DAYS, 0)]
    usual = [world.reads[("alice", day)] for day in days]
    median = statistics.median(usual)
    observed = world.reads[("alice", world.at(0, 0)[:10])]
    assert observed > 120
    assert f"{observed} accesses (read, log_read) on 2026-11-01" in finding.explanation
    assert f"median {median:g} per day over the 28 days before 2026-11-01" in finding.explanation
    assert finding.evidence["observed"] == observed
    assert finding.evidence["baseline"]["median"] == median
    assert finding.evidence["verdict"]["method"] == "robust_z"
    assert finding.dedupe == "2026-11-01"
    assert finding.occurred_at is not None and finding.occurred_at.startswith("2026-11-01T")


def check_unusual_hour_names_the_hour_and_the_usual_ones(store: Any, staged: Any) -> None:
    _, found = staged
    finding = one(found, "anomaly.unusual_hour")
    assert "3 at 03:00-03:59" in finding.explanation
    assert "usually at " in finding.explanation
    observed = finding.evidence["observed"]
    assert [(o["hour"], o["accesses"], o["slots_near"]) for o in observed] == [(3, 3, 0)]
    slots = finding.evidence["baseline"]["hour_slots"]
    assert sum(slots[0:8]) == 0 and sum(slots[9:18]) > 28
    assert finding.occurred_at == "2026-11-01T03:10:00.000000Z"


def check_first_sensitive_access_states_the_history_by_others(store: Any, staged: Any) -> None:
    _, found = staged
    finding = one(found, "anomaly.first_sensitive_access")
    assert finding.evidence["dataset"] == "test/patients"
    # alice wrote it once and read it every day of the four weeks before the window
    assert finding.evidence["baseline"]["other_accesses"] == HISTORY_DAYS + 1
    assert finding.evidence["baseline"]["other_actors"] == 1
    assert "had 29 accesses by 1 other actor since 2026-10-04T08:30" in finding.explanation
    assert finding.evidence["first_access"]["action"] == "read"
    assert finding.occurred_at == "2026-11-01T11:30:00.000000Z"


def check_mass_deletion_states_the_peak_hour_and_baseline(store: Any, staged: Any) -> None:
    _, found = staged
    finding = one(found, "anomaly.mass_deletion")
    assert "30 dataset deletions on 2026-11-01 (UTC) by this actor, 30 of them at 14:00" in (
        finding.explanation
    )
    assert "mean 0.00 deletions per day over the 28 days" in finding.explanation
    assert finding.evidence["baseline"]["mean"] == 0
    assert len(finding.evidence["deleted"]) == 30
    assert finding.evidence["deleted"][0]["dataset"].startswith("test/shared/old_")


def check_metric_drop_states_the_earlier_versions(store: Any, staged: Any) -> None:
    _, found = staged
    finding = one(found, "anomaly.metric_drop_at_deploy")
    drops = {d["metric"]: d for d in finding.evidence["drops"]}
    assert set(drops) == {"accuracy"}  # log_loss 0.121 against 0.12 is no drop
    assert drops["accuracy"]["observed"] == 0.80
    assert drops["accuracy"]["baseline"]["median"] == 0.95
    assert drops["accuracy"]["baseline"]["periods"] == 5
    assert "accuracy 0.8 against a median of 0.95 over the 5 earlier evaluated versions" in (
        finding.explanation
    )


def test_each_finding_states_its_baseline_and_what_was_observed(store, staged) -> None:  # type: ignore[no-untyped-def]
    for check in (
        check_access_volume_states_the_daily_baseline,
        check_unusual_hour_names_the_hour_and_the_usual_ones,
        check_first_sensitive_access_states_the_history_by_others,
        check_mass_deletion_states_the_peak_hour_and_baseline,
        check_metric_drop_states_the_earlier_versions,
    ):
        check(store, staged)


def test_a_second_review_run_sees_the_same_findings_again(store, staged) -> None:  # type: ignore[no-untyped-def]
    world, found = staged
    ctx = world.context(store)
    first = run_reviews(store, ["anomalies"], ctx.window, SERVICE_PRINCIPAL, config={})
    second = run_reviews(store, ["anomalies"], ctx.window, SERVICE_PRINCIPAL, config={})
    assert [(r.opened, r.seen_again, r.error) for r in first.results] == [(5, 0, None)]
    assert [(r.opened, r.seen_again, r.error) for r in second.results] == [(0, 5, None)]
    stored = list_findings(store.engine, kind="anomaly")
    assert sorted(f.fingerprint for f in stored) == sorted(f.fingerprint for f in found)
    assert {f.occurrences for f in stored} == {2}


def test_sensitivities_come_from_the_configuration(store, staged) -> None:  # type: ignore[no-untyped-def]
    world, _ = staged
    config = {
        "anomalies": {
            "access_volume": {"min_count": 500},
            "unusual_hour": {"enabled": False},
            "mass_deletion": {"min_per_hour": 31, "min_per_day": 31},
            "metric_drop_at_deploy": {"min_drop": 0.2},
        }
    }
    found = review_anomalies(world.context(store, config))
    assert [f.rule for f in found] == ["anomaly.first_sensitive_access"]


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"acess_volume": {}}, "anomalies.acess_volume"),
        ({"access_volume": {"z": 3}}, "anomalies.access_volume.z"),
        ({"access_volume": {"z_threshold": "high"}}, "anomalies.access_volume.z_threshold"),
        ({"access_volume": {"kinds": ["reads"]}}, "anomalies.access_volume.kinds"),
        ({"unusual_hour": {"enabled": 1}}, "anomalies.unusual_hour.enabled"),
        ({"unusual_hour": {"neighbour_hours": 12}}, "anomalies.unusual_hour.neighbour_hours"),
        ({"unusual_hour": {"max_share": 1.5}}, "anomalies.unusual_hour.max_share"),
        ({"lookback_days": 0}, "anomalies.lookback_days"),
        ({"mass_deletion": {"min_per_day": -1}}, "anomalies.mass_deletion.min_per_day"),
        ({"metric_drop_at_deploy": []}, "anomalies.metric_drop_at_deploy"),
    ],
)
def test_a_bad_setting_is_named(section: dict[str, Any], named: str) -> None:
    with pytest.raises(ReviewConfigError, match=named.replace(".", r"\.")):
        load_settings(section)


def test_the_review_reads_its_own_section(store, kit) -> None:  # type: ignore[no-untyped-def]
    ctx = History(kit).context(store, {"anomalies": {"unusual_hour": {"max_shar": 0.1}}})
    with pytest.raises(ReviewConfigError, match=r"anomalies\.unusual_hour\.max_shar"):
        review_anomalies(ctx)


def test_an_access_without_actor_counts_for_its_runs_actor(store, kit) -> None:  # type: ignore[no-untyped-def]
    start = kit.event("r", "read", time="2026-11-01T09:00:00Z", event_type="START", actor="alice")
    complete = kit.event(
        "r", "read", time="2026-11-01T09:05:00Z", inputs=[kit.dataset(n) for n in "abc"]
    )
    anonymous = kit.event("s", "read", time="2026-11-01T09:06:00Z", inputs=[kit.dataset("d")])
    store.ingest([start, complete, anonymous])
    with store.engine.connect() as conn:
        profile = load_profile(
            conn, Actors(conn), "2026-11-01T00:00:00.000000Z", "2026-11-02T00:00:00.000000Z"
        )
    assert profile.actors() == [psn(store, "alice")]
    assert profile.hourly(psn(store, "alice")) == {"2026-11-01T09": 3}
    assert profile.first_in(psn(store, "alice"), "2026-11-01") == "2026-11-01T09:05:00.000000Z"
