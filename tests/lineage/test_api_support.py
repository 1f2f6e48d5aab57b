"""Helpers for the HTTP API tests (no tests here): accounts with tokens, clients, events."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from lineage.accounts import service
from lineage.api.app import create_app
from lineage.api.limits import BodyLimits
from lineage.cli.session import LOCAL_OPERATOR
from lineage.queries import list_events
from lineage.store import AuditStore

ROLES = ("admin", "auditor", "viewer", "producer", "ml_engineer")
PROJECTS = ("test/model*",)  # what the ml_engineer may read


def make_tokens(store: AuditStore) -> dict[str, str]:
    """One account per role (named after it), and its API token."""
    tokens = {}
    for role in ROLES:
        projects = PROJECTS if role == "ml_engineer" else ()
        service.add_user(store, LOCAL_OPERATOR, role, [role], projects=projects)
        tokens[role] = service.create_token(store, LOCAL_OPERATOR, role)
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def api(store: AuditStore, limits: BodyLimits | None = None) -> Iterator[TestClient]:
    """The app in-process; the context runs its startup and shutdown (the writer thread)."""
    with TestClient(create_app(store, limits=limits), raise_server_exceptions=False) as client:
        yield client


def user_actions(store: AuditStore) -> list[tuple[str, str]]:
    """(action, outcome) of every user action in the log, oldest first."""
    rows = list_events(store.engine, category="user_action", limit=10_000, with_payload=True)
    facets = [r["event"]["run"]["facets"]["mlaudit_user_action"] for r in rows]
    return [(f["action"], f["outcome"]) for f in facets]


def run_event(name: str, *, job: str = "job", output: str | None = None) -> dict[str, Any]:
    """A small valid RunEvent, unique per `name`."""
    event: dict[str, Any] = {
        "eventType": "COMPLETE",
        "eventTime": "2026-03-01T12:00:00Z",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"api-test:{name}"))},
        "job": {"namespace": "test", "name": job},
        "inputs": [],
        "outputs": [{"namespace": "test", "name": output}] if output else [],
    }
    return event


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
