"""`mlaudit reveal | erase`: pseudonyms and the identities behind them.

Only roles with the `reveal` (auditor) or `erase` (admin) permission may use them, and every
reveal and erasure, allowed or refused, is itself an audit event. lineage.privacy checks nothing
itself: these commands are where the checks happen.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from lineage.accounts.actions import record_user_action
from lineage.authz import ERASE, REVEAL, PermissionDenied, authorize
from lineage.cli.output import Db, Json, console, err_console, fail, open_store, print_json
from lineage.cli.session import audited, current_principal
from lineage.privacy import IdentityErased, NotAPseudonym, erase_identity, reveal_identity

_ERASE_TARGET = {"kind": "pseudonym", "name": "unresolved"}


def reveal_command(
    pseudonym: Annotated[str, typer.Argument(help="A pseudonym, psn:<key id>:<32 hex>.")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Show the identity behind a pseudonym (exit 1 when unknown or erased)."""
    store = open_store(db)
    audited(store, "identity.reveal", REVEAL, {"kind": "pseudonym", "name": pseudonym})
    try:
        identity = reveal_identity(store, pseudonym)
    except NotAPseudonym as exc:
        fail(str(exc))
    except IdentityErased as exc:
        _report(as_json, {"pseudonym": pseudonym, "status": "erased", "erased_at": exc.erased_at})
        raise typer.Exit(1) from exc
    if identity is None:
        _report(as_json, {"pseudonym": pseudonym, "status": "unknown"})
        raise typer.Exit(1)
    if as_json:
        print_json({"pseudonym": pseudonym, "status": "revealed", "identity": identity})
    else:
        console.print(identity, highlight=False, markup=False)


def erase_command(
    who: Annotated[str, typer.Argument(help="The identity (user name, email) or its pseudonym.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Erase a person: destroy the key of their vault entry. The log keeps the pseudonym only."""
    if not yes and not typer.confirm(
        "Erase this identity for good? Reveals of its pseudonym will fail from now on.",
        default=False,
    ):
        fail("not erased")
    store = open_store(db)
    principal = current_principal(store)
    try:
        authorize(principal, ERASE)
    except PermissionDenied:
        record_user_action(store, principal, "identity.erase", _ERASE_TARGET, outcome="denied")
        raise
    erasure = erase_identity(store, who)
    # Never record the argument: it may be the plain identity being erased.
    target = {"kind": "pseudonym", "name": erasure.pseudonym} if erasure else _ERASE_TARGET
    record_user_action(
        store, principal, "identity.erase", target, outcome="success" if erasure else "failed"
    )
    if erasure is None:
        # Never echo the argument: it may be the plain identity.
        _report(as_json, {"status": "unknown"})
        raise typer.Exit(1)
    if as_json:
        print_json({"status": "erased", **asdict(erasure)})
        return
    when = "already erased at" if erasure.already_erased else "erased at"
    console.print(
        f"{erasure.pseudonym}: {when} {erasure.erased_at}; its key material is destroyed. "
        "The log keeps only the pseudonym, so `mlaudit verify` still passes.",
        highlight=False,
    )


def _report(as_json: bool, data: dict[str, str]) -> None:
    if as_json:
        print_json(data)
    elif data["status"] == "erased":
        err_console.print(
            f"{data['pseudonym']}: identity erased at {data['erased_at']}; it cannot be revealed",
            highlight=False,
        )
    elif "pseudonym" in data:
        err_console.print(f"{data['pseudonym']}: no identity stored for it", highlight=False)
    else:
        err_console.print("no identity stored for it: nothing erased", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("reveal")(reveal_command)
    app.command("erase")(erase_command)
