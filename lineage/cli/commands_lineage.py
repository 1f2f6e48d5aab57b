"""`mlaudit trace | impact | history`: lineage questions."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage.cli.output import DB_HELP, open_store, print_json
from lineage.cli.render_lineage import render_history, render_impact, render_trace
from lineage.queries import dataset_history, impact, trace

Db = Annotated[str | None, typer.Option("--db", help=DB_HELP)]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
Namespace = Annotated[
    str | None,
    typer.Option("--namespace", "-n", help="Dataset namespace, when a name is ambiguous."),
]


def trace_command(
    model: Annotated[str, typer.Argument(help="Model name (its OpenLineage dataset name).")],
    version: Annotated[str | None, typer.Option(help="Model version (default: newest).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="ISO time: the lineage as it stood then.")
    ] = None,
    namespace: Namespace = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Trace a model version back to its raw data: runs, users, evaluations, deployments."""
    result = trace(open_store(db).engine, model, version=version, as_of=as_of, namespace=namespace)
    print_json(result) if as_json else render_trace(result)


def impact_command(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO time.")] = None,
    namespace: Namespace = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Everything downstream of a dataset: derived data, models, deployments."""
    result = impact(open_store(db).engine, dataset, namespace=namespace, as_of=as_of)
    print_json(result) if as_json else render_impact(result)


def history_command(
    dataset: Annotated[str, typer.Argument(help="Dataset or model name.")],
    limit: Annotated[int, typer.Option(help="At most this many accesses.")] = 1000,
    namespace: Namespace = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Who created, modified, read and deleted a dataset or model, and when."""
    result = dataset_history(open_store(db).engine, dataset, namespace=namespace, limit=limit)
    print_json(result) if as_json else render_history(result)


def register(app: typer.Typer) -> None:
    app.command("trace")(trace_command)
    app.command("impact")(impact_command)
    app.command("history")(history_command)
