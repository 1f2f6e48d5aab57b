"""Readable tables for trace, impact and history."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from lineage.cli.output import console, dataset_label, short, when


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", header_style="bold cyan")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _name(d: dict[str, Any]) -> str:
    return dataset_label(d["namespace"], d["name"])


def render_trace(t: dict[str, Any]) -> None:
    model = t["model"]
    as_of = f" as of {t['as_of']}" if t["as_of"] else ""
    console.print(f"[bold]Trace of model {_name(model)} version {model['version']}{as_of}[/]")
    datasets = _table(
        "Datasets upstream (depth 0 = the model)",
        "depth",
        "dataset",
        "version",
        "kind",
        "created",
        "produced by run",
    )
    for d in t["datasets"]:
        deleted = " [red](deleted)[/]" if d["deleted_at"] else ""
        datasets.add_row(
            str(d["depth"]),
            _name(d) + deleted,
            _version(d["version"]),
            d["kind"],
            when(d["created_at"]),
            short(d["produced_by"]),
        )
    console.print(datasets)
    runs = _table("Runs", "run", "job", "state", "started", "ended", "actor", "training")
    for r in t["runs"]:
        runs.add_row(
            short(r["run_id"]),
            r["job"],
            r["state"],
            when(r["started_at"]),
            when(r["ended_at"]),
            r["actor"] or "-",
            _training(r["training"]),
        )
    console.print(runs)
    _render_evaluations(t["evaluations"])
    _render_deployments(t["deployments"])
    sources = ", ".join(f"{_name(s)}@{_version(s['version'])}" for s in t["sources"]) or "-"
    actors = ", ".join(f"{a['actor']} ({a['kind']})" for a in t["actors"]) or "-"
    console.print(f"[bold]Raw sources:[/] {sources}")
    console.print(f"[bold]People and services involved:[/] {actors}")


def _version(version: str | None) -> str:
    """Content hashes are long; 16 characters identify a version among a dataset's others."""
    if not version:
        return "-"
    return version if len(version) <= 20 else version[:16] + "…"


def _training(training: dict[str, Any] | None) -> str:
    if not training:
        return ""
    params = ", ".join(f"{k}={v}" for k, v in sorted(training.get("hyperparameters", {}).items()))
    return f"{training.get('algorithm')} ({params})"


def _render_evaluations(evaluations: list[dict[str, Any]]) -> None:
    table = _table("Evaluations of this version", "time", "run", "metrics", "checks")
    for e in evaluations:
        metrics = ", ".join(
            f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
            for k, v in sorted(e["metrics"].items())
        )
        checks = ", ".join(f"{c['name']}:{'pass' if c['passed'] else 'FAIL'}" for c in e["checks"])
        table.add_row(when(e["event_time"]), short(e["run_id"]), metrics, checks)
    console.print(table)


def _render_deployments(deployments: list[dict[str, Any]]) -> None:
    table = _table(
        "Deployments of this model", "environment", "version", "action", "from", "to", "by"
    )
    for d in deployments:
        marker = " [green]<- traced[/]" if d.get("is_traced_version") else ""
        table.add_row(
            d["environment"],
            _version(d["version"]) + marker,
            d["action"],
            when(d["valid_from"]),
            when(d["valid_to"]) if d["valid_to"] else "live",
            d["actor"] or "-",
        )
    console.print(table)


def render_impact(result: dict[str, Any]) -> None:
    totals = result["totals"]
    console.print(
        f"[bold]Impact of {_name(result['dataset'])}[/]: {totals['versions']} versions affected "
        f"({totals['dataset_versions']} of {totals['datasets']} datasets, "
        f"{totals['model_versions']} of {totals['models']} models), "
        f"{totals['live_deployments']} live deployments"
    )
    for title, rows in (
        ("Affected models", result["models"]),
        ("Affected datasets", result["datasets"]),
    ):
        table = _table(title, "nearest depth", "kind", "dataset", "versions", "latest affected")
        for s in rows:
            table.add_row(
                str(s["nearest_depth"]),
                s["kind"],
                _name(s),
                str(s["versions"]),
                _version(s["latest_version"]),
            )
        console.print(table)
    _render_impact_deployments(result["deployments"], totals["deployments_not_listed"])
    _render_impact_versions(result["versions"], result["page"])


def _render_impact_versions(versions: list[dict[str, Any]], page: dict[str, Any]) -> None:
    first = page["offset"] + 1 if versions else page["offset"]
    title = f"Affected versions {first}-{page['offset'] + len(versions)} of {page['total']}"
    table = _table(title, "depth", "kind", "dataset", "version", "produced by run")
    for v in versions:
        table.add_row(
            str(v["depth"]), v["kind"], _name(v), _version(v["version"]), short(v["produced_by"])
        )
    console.print(table)
    if page["offset"] + len(versions) < page["total"]:
        console.print(f"More: --offset {page['offset'] + len(versions)} (--limit, --kind)")


def _render_impact_deployments(rows: list[dict[str, Any]], not_listed: int) -> None:
    deployments = _table(
        "Deployments serving affected models",
        "model",
        "version",
        "environment",
        "action",
        "from",
        "live",
    )
    for d in rows:
        deployments.add_row(
            _name(d),
            _version(d["version"]),
            d["environment"],
            d["action"],
            when(d["valid_from"]),
            "yes" if d["live"] else "no",
        )
    console.print(deployments)
    if not_listed:
        console.print(
            f"{not_listed} earlier ended deployments not listed (`mlaudit events --category "
            "deployment` lists every one; the app's Timeline, a model's whole history)"
        )


def render_history(result: dict[str, Any]) -> None:
    d = result["dataset"]
    deleted = f", deleted {when(d['deleted_at'])}" if d["deleted_at"] else ""
    console.print(
        f"[bold]History of {_name(d)}[/] ({d['kind']}, first seen {when(d['created_at'])}{deleted})"
    )
    table = _table("Access", "time", "action", "version", "actor", "job", "run")
    for a in result["access"]:
        table.add_row(
            when(a["event_time"]),
            a["action"],
            _version(a["version"]),
            a["actor"] or "-",
            a["job"] or "-",
            short(a["run_id"]),
        )
    console.print(table)


def compact(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))
