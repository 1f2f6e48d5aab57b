"""Periodic reviews of the audit log: integrity, policies, anomalies, retention, reports.

Each review is a function `(ReviewContext) -> list[FindingDraft]`; the runner records what they
return as findings. Reviews needing Dagster (capture completeness) live in audit_pipelines.
"""
