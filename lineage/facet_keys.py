"""The run facet keys of this project's facets and their schema names, and the producer and
schema URLs the facets carry.

Apart from lineage.facets (which defines the facets with the OpenLineage client's classes), so
validating an event never imports the client: a fifth of a second at start-up, which the child
preparing large batches (lineage.prepare_worker) would wait through, and every `mlaudit`
command that writes an audit event of its own (an account's action, a finding) a third of one.
"""

from __future__ import annotations

SCHEMA_BASE = "https://mlaudit.invalid/spec/facets/1-0-0"
PRODUCER = "https://github.com/mlaudit/mlaudit"


def schema_url(name: str) -> str:
    return f"{SCHEMA_BASE}/{name}.json#/$defs/{name}"


FACET_KEYS: dict[str, str] = {
    "mlaudit_actor": "ActorRunFacet",
    "mlaudit_dagster": "DagsterRunFacet",
    "mlaudit_training": "TrainingRunFacet",
    "mlaudit_evaluation": "EvaluationRunFacet",
    "mlaudit_deployment": "DeploymentRunFacet",
    "mlaudit_user_action": "UserActionRunFacet",
}
