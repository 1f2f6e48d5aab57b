"""`mlaudit users | tokens`: accounts, roles and API tokens (admins; tokens also for oneself)."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from lineage.accounts import service
from lineage.authz import REVEAL, ROLES
from lineage.cli.output import Db, Json, console, fail, open_store, print_json, time_option
from lineage.cli.session import audited, current_principal
from lineage.privacy.vault import IdentityErased, reveal_identity
from lineage.store import AuditStore
from lineage.timeutil import to_store_time

users = typer.Typer(help="Manage accounts and their roles.", no_args_is_help=True)
tokens = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
Username = Annotated[str, typer.Argument(help="Login name.")]


def _new_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("MLAUDIT_NEW_PASSWORD"):
        return os.environ["MLAUDIT_NEW_PASSWORD"]
    if sys.stdin.isatty():
        first, second = getpass.getpass("new password: "), getpass.getpass("again: ")
        if first != second:
            fail("the two passwords differ")
        return first
    return None


@users.command("add")
def add(
    username: Username,
    role: Annotated[list[str], typer.Option("--role", "-r", help=f"One of: {', '.join(ROLES)}.")],
    project: Annotated[
        list[str] | None,
        typer.Option("--project", "-p", help="namespace/name glob an ml_engineer may read."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    db: Db = None,
) -> None:
    """Create an account. Without a password it can only use API tokens."""
    store = open_store(db)
    by = current_principal(store)
    password = _new_password(password_stdin)
    account = service.add_user(store, by, username, role, password=password, projects=project or [])
    console.print(f"created {username!r} ({', '.join(account['roles'])}) as {account['subject']}")
    if password is None:
        console.print(
            f"no password was given (none on stdin, in MLAUDIT_NEW_PASSWORD or from a terminal): "
            f"{username!r} signs in with API tokens only (`mlaudit tokens create --user "
            f"{username}`)",
            highlight=False,
        )


@users.command("remove")
def remove(username: Username, db: Db = None) -> None:
    """Remove an account and revoke its tokens (its history stays in the log)."""
    store = open_store(db)
    service.remove_user(store, current_principal(store), username)
    console.print(f"removed {username!r}")


@users.command("grant")
def grant(
    username: Username, role: Annotated[str, typer.Argument(help="Role to add.")], db: Db = None
) -> None:
    """Give an account one more role."""
    store = open_store(db)
    roles = service.set_roles(store, current_principal(store), username, role, grant=True)
    console.print(f"{username!r} now has: {', '.join(roles)}")


@users.command("revoke")
def revoke(
    username: Username,
    role: Annotated[str, typer.Argument(help="Role to take away.")],
    db: Db = None,
) -> None:
    """Take a role away from an account."""
    store = open_store(db)
    roles = service.set_roles(store, current_principal(store), username, role, grant=False)
    console.print(f"{username!r} now has: {', '.join(roles) or 'no role'}")


@users.command("list")
def list_(
    reveal: Annotated[
        bool,
        typer.Option(
            "--reveal", help="Also each account's name (auditors; every reveal is recorded)."
        ),
    ] = False,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Accounts by pseudonymous subject, with roles and status."""
    store = open_store(db)
    rows = service.list_accounts(store, current_principal(store))
    if reveal:
        for row in rows:
            row["name"] = _revealed(store, row["subject"])
    if as_json:
        print_json(rows)
        return
    table = Table(header_style="bold cyan")
    for column in ("subject", *(("name",) if reveal else ()), "roles", "projects", "status"):
        table.add_column(column)
    table.add_column("created")
    for r in rows:
        named = (r["name"],) if reveal else ()
        projects = ", ".join(r["projects"]) or "-"
        table.add_row(
            r["subject"], *named, ", ".join(r["roles"]), projects, r["status"], r["created_at"][:19]
        )
    console.print(table)


def _revealed(store: AuditStore, subject: str) -> str:
    """An account's name, revealed as `mlaudit reveal` does: permitted and recorded first."""
    audited(store, "identity.reveal", REVEAL, {"kind": "pseudonym", "name": subject})
    try:
        return reveal_identity(store, subject) or "(unknown)"
    except IdentityErased:
        return "(erased)"


@tokens.command("create")
def create_token(
    user: Annotated[str | None, typer.Option("--user", help="Account (default: yourself).")] = None,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    expires: Annotated[str | None, time_option("ISO time after which it stops working.")] = None,
    db: Db = None,
) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    store = open_store(db)
    by = current_principal(store)
    owner = user or by.name
    token = service.create_token(
        store, by, owner, label=label, expires_at=to_store_time(expires) if expires else None
    )
    print(token)


@tokens.command("list")
def list_tokens(
    user: Annotated[
        str | None, typer.Option("--user", help="Account (default: all for an admin, else yours).")
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """API tokens with their id (for `tokens revoke`), label, dates and state; never secrets."""
    store = open_store(db)
    rows = service.list_tokens(store, current_principal(store), user)
    if as_json:
        print_json(rows)
        return
    table = Table(header_style="bold cyan")
    for column in ("id", "account", "label", "created", "expires", "state"):
        table.add_column(column)
    for r in rows:
        created, expires = r["created_at"][:19], (r["expires_at"] or "-")[:19]
        table.add_row(r["token_id"], r["subject"], r["label"] or "-", created, expires, r["state"])
    console.print(table)


@tokens.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id (its second part).")],
    db: Db = None,
) -> None:
    """Revoke an API token at once."""
    store = open_store(db)
    service.revoke_token(store, current_principal(store), token_id)
    console.print(f"revoked token {token_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="users")
    app.add_typer(tokens, name="tokens")
