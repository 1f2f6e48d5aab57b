"""The anomaly review's arithmetic: robust baselines, the Poisson tail, periods, hour profiles."""

from __future__ import annotations

import math

import pytest

from lineage.review.anomalies.hours import hour_ranges, hour_slots, slots_near, usual_hours
from lineage.review.anomalies.metric_drop import Evaluated, metric_drops
from lineage.review.anomalies.period import Period, days_between
from lineage.review.anomalies.settings import MetricDropAtDeploy
from lineage.review.anomalies.stats import Baseline, judge, poisson_tail, robust_z
from lineage.review.context import ReviewWindow


def test_baseline_is_median_and_mad_of_the_counts_zero_days_included() -> None:
    base = Baseline.of([0, 10, 12, 12, 13, 14, 100])
    assert (base.periods, base.median, base.mad, base.maximum) == (7, 12, 2, 100)
    assert base.mean == pytest.approx(161 / 7)
    assert Baseline.of([]).periods == 0


def test_poisson_tail_matches_the_closed_form() -> None:
    # P(X >= 3 | 1) = 1 - e^-1 (1 + 1 + 1/2)
    assert poisson_tail(3, 1.0) == pytest.approx(1 - math.exp(-1) * 2.5)
    assert poisson_tail(0, 5.0) == 1.0
    assert poisson_tail(2, 10.0) == pytest.approx(1 - 11 * math.exp(-10))
    # far in the tail the direct sum stays accurate: P(X >= 30 | 1) ~ e^-1 / 30!
    assert poisson_tail(30, 1.0) == pytest.approx(math.exp(-1) / math.factorial(30), rel=0.05)


def test_robust_z_never_divides_by_less_than_the_poisson_spread() -> None:
    regular = Baseline.of([100] * 28)  # MAD 0: the spread is sqrt(100) = 10
    assert robust_z(130, regular) == pytest.approx(3.0)
    verdict = judge(130, regular, z_threshold=6, p_threshold=1e-6, poisson_below=10)
    assert (verdict.method, verdict.fired) == ("robust_z", False)
    assert judge(170, regular, z_threshold=6, p_threshold=1e-6, poisson_below=10).fired


def test_small_counts_are_judged_by_the_poisson_tail_with_a_rate_floor() -> None:
    quiet = Baseline.of([0] * 28)
    small = judge(4, quiet, z_threshold=6, p_threshold=1e-6, poisson_below=10)
    assert (small.method, small.rate, small.fired) == ("poisson_tail", 1.0, False)
    assert judge(15, quiet, z_threshold=6, p_threshold=1e-6, poisson_below=10).fired
    assert "under a rate of 1" in small.describe()


def test_the_baseline_is_the_whole_days_before_the_window() -> None:
    period = Period.of(ReviewWindow("2026-11-01T06:30:00Z", "2026-11-02T00:00:00Z"), 28)
    assert period.base_until == "2026-11-01T00:00:00.000000Z"
    assert period.base_since == "2026-10-04T00:00:00.000000Z"
    assert len(period.history_days(None)) == 0
    assert period.history_days("2026-10-30T12:00:00.000000Z") == ["2026-10-30", "2026-10-31"]
    assert len(period.history_days("2020-01-01T00:00:00.000000Z")) == 28
    assert days_between("2026-12-30", "2027-01-02") == ["2026-12-30", "2026-12-31", "2027-01-01"]


def test_a_window_without_start_is_the_day_before_its_end() -> None:
    period = Period.of(ReviewWindow(None, "2026-11-02T00:00:00Z"), 28)
    assert period.since == "2026-11-01T00:00:00.000000Z"
    with pytest.raises(ValueError, match="at or after its end"):
        Period.of(ReviewWindow("2026-11-02T00:00:00Z", "2026-11-02T00:00:00Z"), 28)


def test_hour_profile_counts_slots_and_wraps_around_midnight() -> None:
    hourly = {"2026-10-01T09": 40, "2026-10-02T09": 1, "2026-10-02T23": 5}
    slots = hour_slots(hourly)
    assert slots[9] == 2 and slots[23] == 1 and sum(slots) == 3
    assert slots_near(slots, 0, 1) == 1  # 23h is next to midnight
    assert usual_hours(slots) == [9, 23]
    assert hour_ranges([8, 9, 10, 14, 16, 17]) == "08-10, 14, 16-17"


def evaluated(version: str, **metrics: float) -> Evaluated:
    return Evaluated(int(version[1:]), version, f"2026-10-0{version[1:]}", 1, metrics)


def test_metric_drop_needs_k_spreads_and_a_minimal_drop() -> None:
    earlier = [evaluated(f"m{i}", accuracy=0.90 + 0.01 * i, loss=0.2) for i in range(1, 6)]
    settings = MetricDropAtDeploy()
    # median 0.93, MAD 0.01 -> spread 0.0148: 0.90 is 2 spreads down, 0.85 is 5.4
    assert metric_drops(evaluated("m6", accuracy=0.90, loss=0.2), earlier, settings) == []
    drops = metric_drops(evaluated("m6", accuracy=0.85, loss=0.5), earlier, settings)
    assert [(d.metric, round(d.drop, 3), d.lower_is_better) for d in drops] == [
        ("accuracy", 0.08, False),
        ("loss", 0.3, True),
    ]
