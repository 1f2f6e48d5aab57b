"""An OpenLineage transport that writes into the audit store.

Configured like any other transport, so events can also be forwarded elsewhere by configuration:
`transport: {type: lineage.transport.StoreTransport, url: sqlite:///...}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attr
from openlineage.client.serde import Serde
from openlineage.client.transport.transport import Config, Transport

from lineage.store import AuditStore

if TYPE_CHECKING:
    from openlineage.client.client import Event


@attr.define
class StoreTransportConfig(Config):
    url: str | None = None
    submitter: str | None = None

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> StoreTransportConfig:
        return cls(url=params.get("url"), submitter=params.get("submitter"))


class StoreTransport(Transport):
    """Ingests each emitted event (strictly: an invalid event raises, nothing is written)."""

    kind = "mlaudit"
    config_class = StoreTransportConfig

    def __init__(self, config: StoreTransportConfig, store: AuditStore | None = None) -> None:
        self.config = config
        self.store = store or AuditStore.open(config.url)

    @classmethod
    def for_store(cls, store: AuditStore, submitter: str | None = None) -> StoreTransport:
        return cls(StoreTransportConfig(submitter=submitter), store=store)

    def emit(self, event: Event) -> None:
        self.store.ingest([Serde.to_dict(event)], submitter=self.config.submitter)

    def emit_many(self, events: Sequence[Event]) -> None:
        """Ingest `events` in one batch: one transaction, all or none."""
        self.store.ingest([Serde.to_dict(e) for e in events], submitter=self.config.submitter)

    def close(self, timeout: float = -1) -> bool:
        return True
