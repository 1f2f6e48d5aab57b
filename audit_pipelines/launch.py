"""Launch a pipeline job as a named user, then capture it: `mlaudit run JOB --as USER`."""

from __future__ import annotations

from typing import Any

from audit_pipelines.capture.sensor import capture_until_idle
from audit_pipelines.definitions import build_definitions
from audit_pipelines.instance import open_instance
from audit_pipelines.resources import pipeline_resources
from lineage.authz import LAUNCH_JOBS, MANAGE_ACCOUNTS, Principal, authorize
from lineage.errors import AuditError
from lineage.settings import Settings
from lineage.store import AuditStore

USER_TAG = "dagster/user"


class UnknownJob(AuditError):
    """The job is not in the code location."""


def launch_as(
    settings: Settings,
    store: AuditStore,
    by: Principal,
    job: str,
    user: str,
    run_config: dict[str, Any] | None = None,
) -> tuple[str, bool, int]:
    """Run `job` in process with `user` as the launching identity; returns (run id, ok, events)."""
    authorize(by, LAUNCH_JOBS)
    if user != by.name and by.kind != "local":
        # Launching in someone else's name is an impersonation only admins may do.
        authorize(by, MANAGE_ACCOUNTS)
    definitions = build_definitions(settings.home, settings.database_url)
    names = sorted(
        j.name for j in definitions.resolve_all_job_defs() if not j.name.startswith("__")
    )
    if job not in names:
        raise UnknownJob(f"no job named {job!r}; jobs: {', '.join(names)}")
    instance = open_instance(settings.home)
    resources = pipeline_resources(settings.home, settings.database_url)
    job_def = definitions.resolve_job_def(job)
    result = job_def.execute_in_process(
        run_config=run_config or {},
        instance=instance,
        tags={USER_TAG: user},
        resources=resources,
        raise_on_error=False,
    )
    _, emitted = capture_until_idle(instance, definitions, store)
    return result.run_id, result.success, emitted
