"""The review jobs and their schedules: one single-op job per review.

Each run reviews the period ending at its scheduled time and reaching back the job's lookback,
which overlaps the previous run's period on purpose: findings are deduplicated by fingerprint, so
a late-captured event is still reviewed and nothing is reported twice. Schedules start RUNNING,
like the capture sensor: an audit layer whose reviews must be switched on by hand is one whose
reviews get forgotten. A review that fails fails its Dagster run (after its failure was recorded
as a finding), so it shows in Dagster's run list too.
"""

# No `from __future__ import annotations`: Dagster reads the op's config annotation at definition.

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dagster import (
    Config,
    DefaultScheduleStatus,
    Failure,
    JobDefinition,
    MetadataValue,
    OpExecutionContext,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    job,
    op,
    schedule,
)

from audit_pipelines.capture.emitter import AuditStoreResource
from audit_pipelines.review.run import review_window, run_review_jobs
from lineage.review.context import ReviewWindow


@dataclass(frozen=True)
class ReviewJobSpec:
    review: str
    cron: str
    lookback: timedelta | None  # None: the whole history
    description: str


REVIEW_JOB_SPECS = (
    ReviewJobSpec(
        "integrity",
        "0 * * * *",
        None,
        "Verify the hash chain, the Merkle tree and consecutive signed heads; sign a new head.",
    ),
    ReviewJobSpec(
        "completeness",
        "*/15 * * * *",
        timedelta(hours=2),
        "Every Dagster run, materialization, observation and check has its audit events, "
        "and every captured event still exists in Dagster.",
    ),
    ReviewJobSpec(
        "policies",
        "5 * * * *",
        timedelta(hours=3),
        "Governance policies: evaluations before deployment, metric thresholds, approvals for "
        "personal data, who may deploy, runs without an actor.",
    ),
    ReviewJobSpec(
        "anomalies",
        "30 1 * * *",
        timedelta(days=2),
        "Anomalies on the audit log against each actor's learned baseline.",
    ),
    ReviewJobSpec(
        "retention",
        "0 2 * * *",
        None,
        "Retention per category, legal holds, archiving of sealed segments.",
    ),
)


class ReviewWindowConfig(Config):
    """The period to review; empty `until` means now, empty `since` the job's lookback."""

    since: str | None = None
    until: str | None = None
    whole_history: bool = False


def job_name(review: str) -> str:
    return f"review_{review}"


def window_for(spec: ReviewJobSpec, config: ReviewWindowConfig) -> ReviewWindow:
    base = review_window(config.until or datetime.now(UTC), spec.lookback)
    if config.whole_history:
        return ReviewWindow(since=None, until=base.until)
    return ReviewWindow(since=config.since or base.since, until=base.until)


def review_job(spec: ReviewJobSpec) -> JobDefinition:
    @op(name=f"{job_name(spec.review)}_op", description=spec.description)
    def review_op(
        context: OpExecutionContext, config: ReviewWindowConfig, audit_store: AuditStoreResource
    ) -> None:
        window = window_for(spec, config)
        run = run_review_jobs(audit_store.open(), context.instance, [spec.review], window)
        result = run.results[0]
        context.log.info(
            f"{spec.review} review of {window.since or 'the beginning'} .. {window.until}: "
            f"{result.opened} opened, {result.seen_again} seen again, {result.reopened} reopened"
        )
        if result.error is not None:
            raise Failure(
                description=f"the {spec.review} review failed: {result.error}",
                metadata={"window": MetadataValue.json(run.as_dict())},
            )

    @job(
        name=job_name(spec.review),
        description=spec.description,
        tags={"mlaudit/review": spec.review},
    )
    def the_job() -> None:
        review_op()

    return the_job


def review_schedule(spec: ReviewJobSpec, job_def: JobDefinition) -> ScheduleDefinition:
    @schedule(
        name=f"{job_name(spec.review)}_schedule",
        cron_schedule=spec.cron,
        job=job_def,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description=spec.description,
    )
    def the_schedule(context: ScheduleEvaluationContext) -> RunRequest:
        until = context.scheduled_execution_time.astimezone(UTC).isoformat()
        op_config = {"config": {"until": until}}
        return RunRequest(
            run_key=f"{spec.review}:{until}",
            run_config={"ops": {f"{job_name(spec.review)}_op": op_config}},
        )

    return the_schedule


review_jobs = [review_job(spec) for spec in REVIEW_JOB_SPECS]
review_schedules = [
    review_schedule(spec, job_def)
    for spec, job_def in zip(REVIEW_JOB_SPECS, review_jobs, strict=True)
]
