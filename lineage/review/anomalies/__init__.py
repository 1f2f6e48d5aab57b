"""Anomaly detection on the audit log, against per-actor and per-model baselines learned from
the history before the review window. See docs/ANOMALIES.md."""

from lineage.review.anomalies.review import DETECTORS, review_anomalies

__all__ = ["DETECTORS", "review_anomalies"]
