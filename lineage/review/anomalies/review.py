"""The anomaly review: every enabled detector over the window, against baselines learned from
the history before it."""

from __future__ import annotations

from collections.abc import Callable

from lineage.findings.draft import FindingDraft
from lineage.review.anomalies.deletion import detect_mass_deletion
from lineage.review.anomalies.escalation import detect_escalation_then_bulk_read
from lineage.review.anomalies.hours import detect_unusual_hour
from lineage.review.anomalies.inputs import Inputs
from lineage.review.anomalies.metric_drop import detect_metric_drop_at_deploy
from lineage.review.anomalies.sensitive import detect_first_sensitive_access
from lineage.review.anomalies.settings import load_settings
from lineage.review.anomalies.volume import detect_access_volume
from lineage.review.context import ReviewContext

Detector = Callable[[Inputs], list[FindingDraft]]

DETECTORS: dict[str, Detector] = {
    "access_volume": detect_access_volume,
    "unusual_hour": detect_unusual_hour,
    "first_sensitive_access": detect_first_sensitive_access,
    "mass_deletion": detect_mass_deletion,
    "escalation_then_bulk_read": detect_escalation_then_bulk_read,
    "metric_drop_at_deploy": detect_metric_drop_at_deploy,
}


def review_anomalies(ctx: ReviewContext) -> list[FindingDraft]:
    """Findings of kind "anomaly" for the window; settings from review.toml `[anomalies]`."""
    settings = load_settings(ctx.section("anomalies"))
    inputs = Inputs.load(ctx, settings)
    found: list[FindingDraft] = []
    for name, detect in DETECTORS.items():
        if getattr(settings, name).enabled:
            found.extend(detect(inputs))
    return found
