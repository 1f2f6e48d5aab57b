"""`mlaudit approve | approvals`: approvals to train on datasets holding personal data.

An approval is an audit event (`dataset.approve`), which the personal-data policy reads back
from the log: training on a personal dataset with no approval given before the run is a finding.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import text

from lineage.authz import APPROVE_DATA_USE, READ_EVENTS
from lineage.cli.output import Db, Json, console, fail, open_store, print_json, when
from lineage.cli.session import audited, permit
from lineage.errors import NotFoundError
from lineage.queries.resolve import resolve_dataset
from lineage.review.policies.approvals import APPROVE, approvals, approve, target
from lineage.store import AuditStore

BY_LABEL = text("SELECT namespace, name FROM datasets WHERE namespace || '/' || name = :label")


def dataset_label(store: AuditStore, dataset: str, namespace: str | None) -> str:
    """`namespace/name` of a dataset the log knows, given as that or as its name."""
    with store.engine.connect() as conn:
        if namespace is None:
            exact = conn.execute(BY_LABEL, {"label": dataset}).first()
            if exact is not None:
                return f"{exact.namespace}/{exact.name}"
        found = resolve_dataset(conn, dataset, namespace=namespace)
    return f"{found['namespace']}/{found['name']}"


def approve_command(
    dataset: Annotated[str, typer.Argument(help="Dataset name, or namespace/name.")],
    purpose: Annotated[str, typer.Option("--purpose", help="What the data may be used for.")],
    expires: Annotated[
        str | None, typer.Option("--expires", help="Last day (or ISO time) it is valid.")
    ] = None,
    namespace: Annotated[str | None, typer.Option("--namespace", help="Dataset namespace.")] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Approve training on a dataset that holds personal data (recorded in the audit log)."""
    store = open_store(db)
    try:
        label = dataset_label(store, dataset, namespace)
    except NotFoundError as exc:
        fail(str(exc))
    principal = permit(store, APPROVE, APPROVE_DATA_USE, target(label), resource=label)
    try:
        seq = approve(store, principal, label, purpose, expires)
    except ValueError as exc:
        fail(f"cannot approve {label}: {exc}")
    if as_json:
        print_json({"dataset": label, "purpose": purpose.strip(), "seq": seq})
        return
    console.print(f"approved training on {label} for {purpose.strip()!r} (log entry {seq})")


def approvals_command(
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Only this dataset (namespace/name).")
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """List the approvals to train on personal data, oldest first."""
    store = open_store(db)
    audited(store, "approvals.list", READ_EVENTS, {"kind": "log", "name": "approvals"})
    found = [a for a in approvals(store.engine) if dataset is None or a.dataset == dataset]
    if as_json:
        print_json([a.as_dict() for a in found])
        return
    table = Table("approved", "dataset", "purpose", "expires", "approver", "seq")
    for a in found:
        table.add_row(
            when(a.approved_at),
            a.dataset,
            a.purpose,
            when(a.expires),
            a.approver or "-",
            str(a.seq),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `app`."""
    app.command("approve")(approve_command)
    app.command("approvals")(approvals_command)
