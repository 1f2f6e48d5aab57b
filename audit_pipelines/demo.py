"""The demo: the example ML history in a real Dagster instance, captured, then traced."""

from __future__ import annotations

from typing import Any

from audit_pipelines.capture.sensor import capture_until_idle
from audit_pipelines.definitions import build_definitions
from audit_pipelines.instance import open_instance
from audit_pipelines.ml.storage import MODEL_NAME
from audit_pipelines.resources import pipeline_resources
from audit_pipelines.scenario import run_demo_scenario
from lineage.cli.output import console, print_json
from lineage.cli.render_lineage import render_trace
from lineage.queries import trace
from lineage.settings import Settings
from lineage.store import AuditStore
from lineage.verify import verify_chain

ENVIRONMENT = "production"


def run_demo(settings: Settings, *, as_json: bool = False) -> dict[str, Any]:
    """Run the scenario, drain the capture, verify the log and trace the model in production."""
    instance = open_instance(settings.home)
    store = AuditStore.open(settings.database_url)
    resources = pipeline_resources(settings.home, settings.database_url)
    runs = run_demo_scenario(instance, resources=resources, home=settings.home)
    definitions = build_definitions(settings.home, settings.database_url)
    _, emitted = capture_until_idle(instance, definitions, store)
    result = trace_deployed(store)
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
    return result


def trace_deployed(store: AuditStore) -> dict[str, Any]:
    """The trace of the version serving in production now (newest version if none is live)."""
    newest = trace(store.engine, MODEL_NAME)
    live = [d for d in newest["live"] if d["environment"] == ENVIRONMENT]
    if not live or live[0]["version"] == newest["model"]["version"]:
        return newest
    return trace(store.engine, MODEL_NAME, version=live[0]["version"])
