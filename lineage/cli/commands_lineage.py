"""`mlaudit trace | impact | history`: lineage questions, authorized and recorded."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from lineage.accounts.redaction import for_principal
from lineage.authz import READ_LINEAGE
from lineage.cli.output import Db, Json, open_store, print_json, time_option
from lineage.cli.render_lineage import render_history, render_impact, render_trace
from lineage.cli.session import audited
from lineage.queries import dataset_history, impact, trace
from lineage.queries.impact import PAGE as IMPACT_PAGE
from lineage.queries.resolve import resolve_dataset
from lineage.store import AuditStore


class ImpactKind(StrEnum):
    DATASET = "DATASET"
    MODEL = "MODEL"


Namespace = Annotated[
    str | None,
    typer.Option("--namespace", "-n", help="Dataset namespace, when a name is ambiguous."),
]


def _read(store: AuditStore, action: str, name: str, namespace: str | None, **details: Any):  # type: ignore[no-untyped-def]
    """Resolve the dataset, check the caller may read it, and record the read."""
    with store.engine.connect() as conn:
        found = resolve_dataset(conn, name, namespace=namespace)
    resource = f"{found['namespace']}/{found['name']}"
    target = {"kind": found["kind"].lower(), "name": resource}
    clean = {k: v for k, v in details.items() if v is not None}
    return audited(store, action, READ_LINEAGE, target, resource=resource, details=clean)


def trace_command(
    model: Annotated[str, typer.Argument(help="Model name (its OpenLineage dataset name).")],
    version: Annotated[str | None, typer.Option(help="Model version (default: newest).")] = None,
    as_of: Annotated[
        str | None, time_option("ISO time: the lineage as it stood then.", "--as-of")
    ] = None,
    namespace: Namespace = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Trace a model version back to its raw data: runs, users, evaluations, deployments."""
    store = open_store(db)
    who = _read(store, "log.read.trace", model, namespace, version=version, as_of=as_of)
    result = trace(store.engine, model, version=version, as_of=as_of, namespace=namespace)
    result = for_principal(result, who)
    print_json(result) if as_json else render_trace(result)


def impact_command(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    as_of: Annotated[str | None, time_option("ISO time.", "--as-of")] = None,
    namespace: Namespace = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Affected versions to list (nearest first).")
    ] = IMPACT_PAGE,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Versions to skip.")] = 0,
    kind: Annotated[
        ImpactKind | None,
        typer.Option(
            "--kind", case_sensitive=False, help="List only datasets' or models' versions."
        ),
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Everything downstream of a dataset: affected datasets and models (counts, nearest depth,
    latest version), deployments, and a page of the affected versions."""
    store = open_store(db)
    who = _read(store, "log.read.impact", dataset, namespace, as_of=as_of)
    page = {"limit": limit, "offset": offset, "kind": kind.value if kind else None}
    result = impact(store.engine, dataset, namespace=namespace, as_of=as_of, **page)
    result = for_principal(result, who)
    print_json(result) if as_json else render_impact(result)


def history_command(
    dataset: Annotated[str, typer.Argument(help="Dataset or model name.")],
    limit: Annotated[int, typer.Option(help="At most this many accesses.")] = 1000,
    namespace: Namespace = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Who created, modified, read and deleted a dataset or model, and when."""
    store = open_store(db)
    who = _read(store, "log.read.history", dataset, namespace)
    result = dataset_history(store.engine, dataset, namespace=namespace, limit=limit)
    result = for_principal(result, who)
    print_json(result) if as_json else render_history(result)


def register(app: typer.Typer) -> None:
    app.command("trace")(trace_command)
    app.command("impact")(impact_command)
    app.command("history")(history_command)
