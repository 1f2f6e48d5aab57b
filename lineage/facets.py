"""This project's OpenLineage facets: audit facts the standard facets do not carry.

Each class follows openlineage-python's convention (`@attr.define`, `_get_schema()`); its JSON
Schema ships in `lineage/schemas/facets/`, where `_schemaURL` points (resolved locally).
"""

from __future__ import annotations

from typing import Any

import attr
from openlineage.client.facet_v2 import RunFacet

# Re-exported: the facets by key, and the URLs they carry.
from lineage.facet_keys import FACET_KEYS as FACET_KEYS
from lineage.facet_keys import PRODUCER as PRODUCER
from lineage.facet_keys import SCHEMA_BASE as SCHEMA_BASE
from lineage.facet_keys import schema_url as schema_url


@attr.define
class ModelRef:
    """A model version named by its OpenLineage dataset identity."""

    namespace: str
    name: str
    version: str | None = None


@attr.define
class ActorRunFacet(RunFacet):
    """Who launched the run: a user, or a service identity for schedules and sensors."""

    name: str
    kind: str = "user"
    source: str | None = None

    @staticmethod
    def _get_schema() -> str:
        return schema_url("ActorRunFacet")


@attr.define
class DagsterRunFacet(RunFacet):
    """Where a captured event came from in the Dagster event log."""

    runId: str
    eventType: str
    jobName: str | None = None
    storageId: int | None = None
    stepKey: str | None = None
    assetKey: str | None = None
    tags: dict[str, str] = attr.field(factory=dict)
    runConfig: dict[str, Any] = attr.field(factory=dict)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("DagsterRunFacet")


@attr.define
class TrainingRunFacet(RunFacet):
    """How a model version was trained: algorithm, architecture and hyperparameters."""

    algorithm: str
    hyperparameters: dict[str, Any] = attr.field(factory=dict)
    architecture: str | None = None
    framework: str | None = None

    @staticmethod
    def _get_schema() -> str:
        return schema_url("TrainingRunFacet")


@attr.define
class EvaluationRunFacet(RunFacet):
    """Metrics and check results of evaluating one model version."""

    model: ModelRef
    metrics: dict[str, float] = attr.field(factory=dict)
    checks: list[dict[str, Any]] = attr.field(factory=list)
    split: str | None = None

    @staticmethod
    def _get_schema() -> str:
        return schema_url("EvaluationRunFacet")


@attr.define
class DeploymentRunFacet(RunFacet):
    """A model version deployed to, updated in or rolled back in an environment."""

    environment: str
    model: ModelRef
    action: str = "deploy"
    previousVersion: str | None = None
    target: str | None = None

    @staticmethod
    def _get_schema() -> str:
        return schema_url("DeploymentRunFacet")


@attr.define
class UserActionRunFacet(RunFacet):
    """An action by a user: account and permission changes, job launches, reads of the log."""

    action: str
    target: dict[str, str]
    outcome: str = "success"
    details: dict[str, Any] = attr.field(factory=dict)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("UserActionRunFacet")
