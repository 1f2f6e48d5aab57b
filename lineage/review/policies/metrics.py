"""What a model version's evaluations said by a given time: passed or not, and metric values.

An evaluation is one evaluation run: the Dagster capture records an evaluation's metrics and
each of its asset checks as separate rows of the same run, so rows are judged per run. A run
passes when it carries at least one check and every check passed (metrics alone judge nothing).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from lineage.review.policies.params import Param, names

LOWER_IS_BETTER = Param(
    ("*loss*", "*error*", "*rmse*", "*mse*", "*mae*", "*mape*"),
    names,
    "globs of metric names where lower is better (the threshold is then a maximum)",
)


@dataclass(frozen=True)
class Metric:
    value: float
    run_id: str
    seq: int


def as_of(rows: Iterable[dict[str, Any]], when: str) -> list[dict[str, Any]]:
    return [row for row in rows if row["event_time"] <= when]


def passing_run(rows: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest evaluation run whose checks all passed, as {run_id, seqs, checks, at}."""
    runs: dict[str, dict[str, Any]] = {}
    for row in rows:
        run = runs.setdefault(row["run_id"], {"run_id": row["run_id"], "seqs": [], "checks": []})
        run["seqs"].append(row["seq"])
        run["checks"].extend(c for c in row["checks"] if isinstance(c, dict))
        run["at"] = row["event_time"]
    passed = [run for run in runs.values() if _passed(run["checks"])]
    return max(passed, key=lambda run: run["at"]) if passed else None


def failed_checks(rows: Iterable[dict[str, Any]]) -> list[str]:
    return sorted({str(c.get("name")) for row in rows for c in row["checks"] if not _ok(c)})


def latest_metrics(rows: Iterable[dict[str, Any]]) -> dict[str, Metric]:
    """Each metric's most recent finite value among the rows (oldest first)."""
    latest: dict[str, Metric] = {}
    for row in rows:
        for name, value in row["metrics"].items():
            if _measured(value):
                latest[name] = Metric(float(value), row["run_id"], row["seq"])
    return latest


def lower_is_better(metric: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatchcase(metric.lower(), glob.lower()) for glob in globs)


def worse(value: float, than: float, *, lower_better: bool, tolerance: float = 0.0) -> bool:
    """True when `value` is worse than `than` by more than `tolerance`."""
    return value > than + tolerance if lower_better else value < than - tolerance


def _measured(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value)


def _ok(check: dict[str, Any]) -> bool:
    return check.get("passed") is True


def _passed(checks: list[dict[str, Any]]) -> bool:
    return bool(checks) and all(_ok(check) for check in checks)
