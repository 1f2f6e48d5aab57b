"""The anomaly review's parameters: built-in defaults, overridden by review.toml.

`[anomalies]` holds `lookback_days` (the history a baseline is learned from); each detector owns
`[anomalies.<short name>]`. Only sensitivities are constants; every key is checked and a wrong
one is an error naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from lineage.review.config import ReviewConfigError

ACCESS_KINDS = ("read", "create", "modify", "delete", "log_read")
# Shares and probabilities are fractions; a neighbourhood of 12 hours would be the whole day.
UPPER_BOUNDS = {"max_share": 1, "p_threshold": 1, "neighbour_hours": 11}


@dataclass(frozen=True)
class AccessVolume:
    enabled: bool = True
    kinds: tuple[str, ...] = ("read", "log_read")
    z_threshold: float = 6.0
    p_threshold: float = 1e-6
    poisson_below: float = 10.0
    min_count: int = 30
    min_history_days: int = 7


@dataclass(frozen=True)
class UnusualHour:
    enabled: bool = True
    max_share: float = 0.02
    neighbour_hours: int = 1
    min_accesses: int = 1
    min_history_days: int = 7


@dataclass(frozen=True)
class FirstSensitiveAccess:
    enabled: bool = True
    min_other_actors: int = 1
    min_other_accesses: int = 3


@dataclass(frozen=True)
class MassDeletion:
    enabled: bool = True
    min_per_hour: int = 10
    min_per_day: int = 20
    p_threshold: float = 1e-6
    min_rate: float = 1.0


@dataclass(frozen=True)
class EscalationThenBulkRead:
    enabled: bool = True
    within_hours: float = 24.0
    min_reads: int = 20
    z_threshold: float = 3.0
    p_threshold: float = 1e-3
    poisson_below: float = 10.0


@dataclass(frozen=True)
class MetricDropAtDeploy:
    enabled: bool = True
    k_spreads: float = 3.0
    min_drop: float = 0.02
    min_spread: float = 0.005
    min_versions: int = 3
    max_versions: int = 20
    lower_is_better: tuple[str, ...] = ("loss", "error", "rmse", "mae", "mse")


@dataclass(frozen=True)
class AnomalySettings:
    lookback_days: int = 28
    access_volume: AccessVolume = field(default_factory=AccessVolume)
    unusual_hour: UnusualHour = field(default_factory=UnusualHour)
    first_sensitive_access: FirstSensitiveAccess = field(default_factory=FirstSensitiveAccess)
    mass_deletion: MassDeletion = field(default_factory=MassDeletion)
    escalation_then_bulk_read: EscalationThenBulkRead = field(
        default_factory=EscalationThenBulkRead
    )
    metric_drop_at_deploy: MetricDropAtDeploy = field(default_factory=MetricDropAtDeploy)


DETECTOR_NAMES = tuple(f.name for f in fields(AnomalySettings) if f.name != "lookback_days")


def load_settings(section: Mapping[str, Any]) -> AnomalySettings:
    """The `[anomalies]` section over the defaults; ReviewConfigError names a bad key."""
    defaults = AnomalySettings()
    unknown = sorted(set(section) - {"lookback_days", *DETECTOR_NAMES})
    if unknown:
        known = ", ".join(("lookback_days", *DETECTOR_NAMES))
        raise ReviewConfigError(f"anomalies.{unknown[0]}: unknown key (known: {known})")
    changes: dict[str, Any] = {}
    if "lookback_days" in section:
        changes["lookback_days"] = _value("anomalies.lookback_days", section["lookback_days"], 28)
        if changes["lookback_days"] < 1:
            raise ReviewConfigError("anomalies.lookback_days: must be at least 1")
    for name in DETECTOR_NAMES:
        if name in section:
            changes[name] = _detector(name, section[name], getattr(defaults, name))
    return replace(defaults, **changes)


def _detector(name: str, table: Any, default: Any) -> Any:
    if not isinstance(table, Mapping):
        raise ReviewConfigError(f"anomalies.{name}: expected a table of settings")
    known = {f.name: getattr(default, f.name) for f in fields(default)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ReviewConfigError(
            f"anomalies.{name}.{unknown[0]}: unknown key (known: {', '.join(known)})"
        )
    values = {key: _value(f"anomalies.{name}.{key}", table[key], known[key]) for key in table}
    if name == "access_volume" and "kinds" in values:
        _check_kinds(values["kinds"])
    for key, top in UPPER_BOUNDS.items():
        if key in values and values[key] > top:
            raise ReviewConfigError(f"anomalies.{name}.{key}: at most {top}, got {values[key]!r}")
    return replace(default, **values)


def _value(path: str, value: Any, default: Any) -> Any:
    """`value` checked against the type of the default; numbers must not be negative."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ReviewConfigError(f"{path}: expected true or false, got {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ReviewConfigError(f"{path}: expected a list of names, got {value!r}")
        return tuple(value)
    wanted = (int,) if isinstance(default, int) else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted):
        kind = "a whole number" if wanted == (int,) else "a number"
        raise ReviewConfigError(f"{path}: expected {kind}, got {value!r}")
    if value < 0:
        raise ReviewConfigError(f"{path}: must not be negative, got {value!r}")
    return type(default)(value)


def _check_kinds(kinds: tuple[str, ...]) -> None:
    wrong = [k for k in kinds if k not in ACCESS_KINDS]
    if wrong or not kinds:
        raise ReviewConfigError(
            f"anomalies.access_volume.kinds: {wrong or 'empty'} not among {', '.join(ACCESS_KINDS)}"
        )
