"""The demo: the example ML history in a real Dagster instance, captured, then traced; and, unless
plain, the staged incidents (audit_pipelines/staging.py) and the reviews that find them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from audit_pipelines.capture.sensor import capture_until_idle
from audit_pipelines.definitions import build_definitions
from audit_pipelines.demo_history import (
    approve_patient_records,
    create_accounts,
    import_routine_history,
)
from audit_pipelines.instance import open_instance
from audit_pipelines.ml.storage import MODEL_NAME
from audit_pipelines.resources import pipeline_resources
from audit_pipelines.review.run import review_window, run_review_jobs
from audit_pipelines.scenario import run_demo_scenario
from audit_pipelines.staging import stage_incidents
from lineage.cli.output import console, print_json
from lineage.cli.render_lineage import render_trace
from lineage.findings import list_findings
from lineage.queries import trace
from lineage.settings import Settings
from lineage.store import AuditStore
from lineage.verify import verify_chain

ENVIRONMENT = "production"


def run_demo(settings: Settings, *, as_json: bool = False, staged: bool = False) -> dict[str, Any]:
    """Run the scenario, drain the capture, verify the log and trace the model in production.
    With `staged`, first add accounts, routine history and approvals, and afterwards stage the
    incidents and run every review: the result then also lists the findings."""
    instance = open_instance(settings.home)
    store = AuditStore.open(settings.database_url)
    definitions = build_definitions(settings.home, settings.database_url)
    people = history = None
    if staged:
        people = create_accounts(store, settings.home)
        history = import_routine_history(store, datetime.now(UTC))
        approve_patient_records(store, people.principal(store, "carol"))
    resources = pipeline_resources(settings.home, settings.database_url)
    runs = run_demo_scenario(instance, resources=resources, home=settings.home)
    _, emitted = capture_until_idle(instance, definitions, store)
    result = trace_deployed(store)
    incidents = None
    if people is not None:
        incidents = stage_incidents(instance, definitions, store, people)
        run_review_jobs(store, instance, [], review_window(datetime.now(UTC), None))
        result = {
            **result,
            "findings": findings_summary(store),
            "staged": incidents.steps,
            "staged_runs": incidents.runs,
        }
    if as_json:
        print_json(result)
        return result
    report = verify_chain(store.engine)
    console.print(
        f"[bold]Demo:[/] {len(runs)} Dagster runs in {instance.root_directory}; "
        f"{emitted} audit events captured; log {'intact' if report.ok else 'FAILED'} "
        f"({report.entries} entries) in {settings.database_url}\n"
    )
    render_trace(result)
    if people is not None and incidents is not None:
        console.print(
            f"\n[bold]Staged for the reviews[/] (after {history} routine reads imported from "
            "the team's previous scheduler, four weeks back):"
        )
        for step in incidents.steps:
            console.print(f"  - {step}", highlight=False)
        render_findings(result["findings"])
        console.print(
            f"\nAccounts: alice, bob (ml_engineer), carol (admin), dave (viewer), ada (admin, "
            f"auditor). Passwords: {people.credentials} (mode 600). Sign in for the commands "
            f"above and the app: `source {people.credentials}`",
            highlight=False,
        )
    return result


def findings_summary(store: AuditStore) -> list[dict[str, Any]]:
    return [
        {
            "kind": f.kind,
            "rule": f.rule,
            "severity": f.severity,
            "title": f.title,
            "status": f.status,
        }
        for f in list_findings(store.engine)
    ]


def render_findings(findings: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title=f"Findings ({len(findings)})", header_style="bold cyan")
    for column in ("kind", "severity", "rule", "title"):
        table.add_column(column)
    for item in findings:
        table.add_row(item["kind"], item["severity"], item["rule"], item["title"])
    console.print(table)
    console.print("Read them with `mlaudit findings`; run the reviews again with `mlaudit review`.")


def trace_deployed(store: AuditStore) -> dict[str, Any]:
    """The trace of the version serving in production now (newest version if none is live)."""
    newest = trace(store.engine, MODEL_NAME)
    live = [d for d in newest["live"] if d["environment"] == ENVIRONMENT]
    if not live or live[0]["version"] == newest["model"]["version"]:
        return newest
    return trace(store.engine, MODEL_NAME, version=live[0]["version"])
