"""The OpenLineage client the capture emits through: the audit store first, then forwarding.

The client's transport is the store (`lineage.transport.StoreTransport`), composed with whatever
transport ordinary OpenLineage configuration names (openlineage.yml, OPENLINEAGE_CONFIG,
OPENLINEAGE__TRANSPORT__*, OPENLINEAGE_URL), so events also reach e.g. Marquez. The audit trail
comes first: a store failure raises (the capture stops and its cursor does not move), a forwarding
failure is logged and does not hold the audit trail back.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource
from openlineage.client import OpenLineageClient
from openlineage.client.transport.noop import NoopConfig, NoopTransport
from openlineage.client.transport.transport import Config, Transport

from lineage.settings import Settings
from lineage.store import AuditStore
from lineage.transport import StoreTransport

if TYPE_CHECKING:
    from openlineage.client.client import Event

log = logging.getLogger(__name__)

SUBMITTER = "dagster-capture"

# Client options that would make the stored bytes depend on the environment or drop events.
# They are overridden for the audit client: the audit record must be exactly what the mapper
# produced (deterministic, hence idempotent on replay) and complete (no filters).
_AUDIT_CLIENT_CONFIG: dict[str, Any] = {
    "filters": [],
    "dataset": {"reducing_enabled": False},
    "facets": {"environment_variables": [], "source_code_location": {"disabled": True}},
}


class AuditFirstTransport(Transport):
    """Emits to the store (must succeed), then to an optional forwarding transport (best effort)."""

    kind = "mlaudit_audit_first"
    config_class = Config

    def __init__(self, store: StoreTransport, forward: Transport | None = None) -> None:
        self.store = store
        self.forward = forward
        self._pending: list[Event] | None = None

    def emit(self, event: Event) -> None:
        if self._pending is not None:
            self._pending.append(event)
            return
        self.store.emit(event)
        self._forward([event])

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Events emitted inside are ingested in one store transaction on leaving: all or none
        (nothing when the block raises), then forwarded."""
        self._pending = []
        try:
            yield
            events = self._pending
        finally:
            self._pending = None
        if events:
            self.store.emit_many(events)
            self._forward(events)

    def _forward(self, events: list[Event]) -> None:
        if self.forward is None:
            return
        for event in events:
            try:
                self.forward.emit(event)
            except Exception as error:  # the audit trail must not wait on a lineage backend
                log.warning("forwarding an OpenLineage event failed: %s", error)

    def close(self, timeout: float = -1) -> bool:
        closed = self.store.close(timeout)
        return (self.forward.close(timeout) if self.forward else True) and closed


def configured_forward_transport(store: AuditStore) -> Transport | None:
    """The transport ordinary OpenLineage configuration names, if any (not the console default,
    not our own store again)."""
    if os.getenv("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return None
    # A probe with an explicit no-op transport reads the configuration without falling back to
    # (and warning about) the console transport when nothing is configured.
    probe = OpenLineageClient(transport=NoopTransport(NoopConfig()))
    configured = bool((probe.config.transport or {}).get("type")) or bool(
        os.getenv("OPENLINEAGE_URL")
    )
    if not configured:
        return None
    transport = OpenLineageClient().transport
    if isinstance(transport, StoreTransport) and _same_database(transport.store, store):
        return None
    return transport


def build_client(store: AuditStore, forward: Transport | bool | None = True) -> OpenLineageClient:
    """An OpenLineage client emitting into `store`; `forward`: True = from configuration,
    False/None = no forwarding, or an explicit transport."""
    if forward is True:
        forward = configured_forward_transport(store)
    transport = AuditFirstTransport(
        StoreTransport.for_store(store, submitter=SUBMITTER), forward or None
    )
    client = OpenLineageClient(transport=transport, config=dict(_AUDIT_CLIENT_CONFIG))
    # OPENLINEAGE_DISABLED makes the client swap any transport for a no-op. It is meant to silence
    # lineage emission, not the audit trail: keep the store transport regardless.
    client.transport = transport
    return client


def _same_database(first: AuditStore, second: AuditStore) -> bool:
    render = lambda store: store.engine.url.render_as_string(hide_password=False)  # noqa: E731
    return render(first) == render(second)


_STORES: dict[str, AuditStore] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: str | None = None) -> AuditStore:
    """The audit store at `url` (else MLAUDIT_DATABASE_URL / MLAUDIT_HOME), opened once per
    process: opening runs migrations, which a sensor ticking every few seconds should not repeat."""
    resolved = url or Settings.from_env().database_url
    with _STORES_LOCK:
        if resolved not in _STORES:
            _STORES[resolved] = AuditStore.open(resolved)
        return _STORES[resolved]


class AuditStoreResource(ConfigurableResource):
    """Where the capture writes: a SQLAlchemy URL, or None for MLAUDIT_DATABASE_URL/MLAUDIT_HOME."""

    url: str | None = None

    def open(self) -> AuditStore:
        return open_store(self.url)
