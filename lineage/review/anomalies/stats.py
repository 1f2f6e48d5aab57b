"""Robust baselines of counts and the two tests an observed count is judged by.

A baseline is a series of per-period counts (zeros included). Large usual counts are judged by
a robust z-score: the distance from the median in units of the scaled MAD, the spread never
taken below the Poisson spread sqrt(median) so a perfectly regular actor does not fire on a
small wobble. Small usual counts (median below `poisson_below`) are judged by the Poisson tail
probability of the observed count under the baseline's mean rate, the rate never taken below
`min_rate` so an empty history is not a rate of zero.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAD_TO_SIGMA = 1.4826  # the MAD of a normal distribution is 0.6745 sigma


@dataclass(frozen=True)
class Baseline:
    periods: int
    median: float
    mad: float
    mean: float
    maximum: float

    @classmethod
    def of(cls, counts: Sequence[float]) -> Baseline:
        if not counts:
            return cls(0, 0.0, 0.0, 0.0, 0.0)
        median = float(statistics.median(counts))
        mad = float(statistics.median(abs(c - median) for c in counts))
        return cls(len(counts), median, mad, float(statistics.fmean(counts)), float(max(counts)))

    def scaled(self, factor: float) -> Baseline:
        """The same baseline for a period `factor` times as long."""
        return Baseline(
            self.periods,
            self.median * factor,
            self.mad * factor,
            self.mean * factor,
            self.maximum * factor,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "periods": self.periods,
            "median": round(self.median, 4),
            "mad": round(self.mad, 4),
            "mean": round(self.mean, 4),
            "max": round(self.maximum, 4),
        }


@dataclass(frozen=True)
class Verdict:
    """How an observed count was judged: `method` is "robust_z" or "poisson_tail"."""

    fired: bool
    method: str
    statistic: float
    threshold: float
    rate: float | None = None

    def describe(self) -> str:
        if self.method == "robust_z":
            return f"robust z {self.statistic:.1f} (threshold {self.threshold:g})"
        return (
            f"Poisson tail probability {self.statistic:.2g} under a rate of {self.rate:.3g} "
            f"(threshold {self.threshold:g})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "statistic": self.statistic,
            "threshold": self.threshold,
            **({"rate": self.rate} if self.rate is not None else {}),
        }


def robust_z(observed: float, base: Baseline) -> float:
    spread = max(MAD_TO_SIGMA * base.mad, math.sqrt(base.median), 1e-9)
    return (observed - base.median) / spread


def judge(
    observed: int,
    base: Baseline,
    *,
    z_threshold: float,
    p_threshold: float,
    poisson_below: float,
    min_rate: float = 1.0,
) -> Verdict:
    """Is `observed` far above the baseline? Robust z for large counts, Poisson tail for small."""
    if base.median >= poisson_below:
        z = robust_z(observed, base)
        return Verdict(z >= z_threshold, "robust_z", round(z, 2), z_threshold)
    rate = max(base.mean, min_rate)
    p = poisson_tail(observed, rate)
    return Verdict(p <= p_threshold, "poisson_tail", float(f"{p:.3g}"), p_threshold, rate)


def poisson_tail(k: int, rate: float) -> float:
    """P(X >= k) for X ~ Poisson(rate), accurate far into the tail."""
    if k <= 0:
        return 1.0
    if rate <= 0:
        return 0.0
    if k <= rate:
        below = sum(_pmf(i, rate) for i in range(k))
        return max(0.0, 1.0 - below)
    total, i = 0.0, k
    while True:
        term = _pmf(i, rate)
        total += term
        if term <= total * 1e-16:
            return min(1.0, total)
        i += 1


def _pmf(k: int, rate: float) -> float:
    return math.exp(k * math.log(rate) - rate - math.lgamma(k + 1))
