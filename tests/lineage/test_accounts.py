"""Accounts, roles, tokens and the one authorization function; every change is an audit event."""

from __future__ import annotations

import pytest

from lineage.accounts import service
from lineage.accounts.auth import AuthenticationFailed, login, token_principal
from lineage.authz import (
    LAUNCH_JOBS,
    MANAGE_ACCOUNTS,
    READ_LINEAGE,
    REVEAL,
    WRITE_EVENTS,
    PermissionDenied,
    Principal,
    authorize,
    is_allowed,
)
from lineage.cli.session import LOCAL_OPERATOR
from lineage.errors import NotFoundError
from lineage.queries import list_events

PASSWORD = "correct horse battery"


def actions(store) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    rows = list_events(store.engine, category="user_action", limit=1000, with_payload=True)
    return [
        (
            r["event"]["run"]["facets"]["mlaudit_user_action"]["action"],
            r["event"]["run"]["facets"]["mlaudit_user_action"]["outcome"],
        )
        for r in rows
    ]


@pytest.fixture
def admin(store) -> Principal:  # type: ignore[no-untyped-def]
    service.add_user(store, LOCAL_OPERATOR, "root-admin", ["admin"], password=PASSWORD)
    return login(store, "root-admin", PASSWORD)


def test_roles_decide_in_one_place() -> None:
    auditor = Principal("a", ("auditor",))
    viewer = Principal("v", ("viewer",))
    engineer = Principal("e", ("ml_engineer",), projects=("dagster/breast_cancer_*",))
    assert is_allowed(auditor, REVEAL) and not is_allowed(viewer, REVEAL)
    assert is_allowed(engineer, READ_LINEAGE, "dagster/breast_cancer_model")
    assert not is_allowed(engineer, READ_LINEAGE, "s3://finance/ledger")
    assert is_allowed(engineer, WRITE_EVENTS) and is_allowed(engineer, LAUNCH_JOBS)
    with pytest.raises(
        PermissionDenied, match=r"role.s. viewer may not manage_accounts; roles that may: admin$"
    ):
        authorize(viewer, MANAGE_ACCOUNTS)


def test_account_lifecycle_is_audited(store, admin) -> None:  # type: ignore[no-untyped-def]
    service.add_user(store, admin, "erin", ["viewer"], password=PASSWORD)
    assert service.set_roles(store, admin, "erin", "auditor", grant=True) == ["auditor", "viewer"]
    assert service.set_roles(store, admin, "erin", "viewer", grant=False) == ["auditor"]
    token = service.create_token(store, admin, "erin", label="ci")
    assert token_principal(store, token).roles == ("auditor",)
    service.remove_user(store, admin, "erin")
    with pytest.raises(AuthenticationFailed):
        token_principal(store, token)
    with pytest.raises(AuthenticationFailed):
        login(store, "erin", PASSWORD)
    assert [a for a, _ in actions(store)] == [
        "account.create",
        "account.create",
        "role.grant",
        "role.revoke",
        "token.create",
        "account.remove",
        "login.failed",
        "login.failed",
    ]


def test_credentials_are_never_stored_in_clear(store, admin) -> None:  # type: ignore[no-untyped-def]
    token = service.create_token(store, admin, "root-admin")
    with store.engine.connect() as conn:
        dump = "\n".join(
            str(tuple(r))
            for t in ("accounts", "api_tokens")
            for r in conn.exec_driver_sql(f"SELECT * FROM {t}")
        )
    assert PASSWORD not in dump and token.split("_", 2)[2] not in dump
    assert "root-admin" not in dump
    assert "$argon2id$" in dump


def test_non_admins_cannot_manage_accounts(store, admin) -> None:  # type: ignore[no-untyped-def]
    service.add_user(store, admin, "vic", ["viewer"], password=PASSWORD)
    vic = login(store, "vic", PASSWORD)
    with pytest.raises(PermissionDenied):
        service.add_user(store, vic, "mallory", ["admin"], password=PASSWORD)
    with pytest.raises(PermissionDenied):
        service.create_token(store, vic, "root-admin")
    assert service.create_token(store, vic, "vic").startswith("mla_")


def test_bad_input_is_named(store, admin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(service.AccountError, match="unknown or missing role"):
        service.add_user(store, admin, "x", ["wizard"])
    with pytest.raises(service.AccountError, match="password too short"):
        service.add_user(store, admin, "x", ["viewer"], password="short")
    with pytest.raises(service.AccountError, match="already exists"):
        service.add_user(store, admin, "root-admin", ["viewer"])
    with pytest.raises(AuthenticationFailed, match="invalid, expired or revoked"):
        token_principal(store, "not-a-token")


def test_tokens_are_listed_without_secrets_an_admin_all_others_their_own(store, admin) -> None:  # type: ignore[no-untyped-def]
    service.add_user(store, admin, "vic", ["viewer"], password=PASSWORD)
    vic = login(store, "vic", PASSWORD)
    ci = service.create_token(store, admin, "root-admin", label="ci")
    laptop = service.create_token(store, vic, "vic", label="laptop")
    old = service.create_token(store, vic, "vic", expires_at="2020-01-01T00:00:00.000000Z")
    service.revoke_token(store, admin, ci.split("_")[1])
    listed = service.list_tokens(store, admin)
    assert [(t["label"], t["state"]) for t in listed] == [
        ("ci", "revoked"),
        ("laptop", "active"),
        ("", "expired"),
    ]
    assert [t["token_id"] for t in listed] == [t.split("_")[1] for t in (ci, laptop, old)]
    assert not any(t.split("_", 2)[2] in str(listed) for t in (ci, laptop, old))
    assert service.list_tokens(store, vic) == listed[1:] == service.list_tokens(store, admin, "vic")
    assert service.list_tokens(store, vic, "vic") == listed[1:]
    with pytest.raises(PermissionDenied):
        service.list_tokens(store, vic, "root-admin")
    with pytest.raises(NotFoundError):
        service.list_tokens(store, admin, "nobody")
