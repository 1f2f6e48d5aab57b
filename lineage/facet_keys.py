"""The run facet keys of this project's facets and their schema names.

Apart from lineage.facets (which defines the facets with the OpenLineage client's classes), so
validating an event never imports the client: a fifth of a second at start-up, which the child
preparing large batches (lineage.prepare_worker) would wait through.
"""

from __future__ import annotations

FACET_KEYS: dict[str, str] = {
    "mlaudit_actor": "ActorRunFacet",
    "mlaudit_dagster": "DagsterRunFacet",
    "mlaudit_training": "TrainingRunFacet",
    "mlaudit_evaluation": "EvaluationRunFacet",
    "mlaudit_deployment": "DeploymentRunFacet",
    "mlaudit_user_action": "UserActionRunFacet",
}
