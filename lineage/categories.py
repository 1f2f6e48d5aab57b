"""Which audit categories an event belongs to: one declarative table of rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Event = dict[str, Any]

DATA_ACCESS = "data_access"
MODEL_DEVELOPMENT = "model_development"
EVALUATION = "evaluation"
DEPLOYMENT = "deployment"
USER_ACTION = "user_action"
RUN = "run"

CATEGORIES = (DATA_ACCESS, MODEL_DEVELOPMENT, EVALUATION, DEPLOYMENT, USER_ACTION, RUN)


def run_facets(event: Event) -> dict[str, Any]:
    return (event.get("run") or {}).get("facets") or {}


def datasets(event: Event) -> list[dict[str, Any]]:
    found = [*(event.get("inputs") or []), *(event.get("outputs") or [])]
    if isinstance(event.get("dataset"), dict):
        found.append(event["dataset"])
    return found


def is_model(dataset: dict[str, Any]) -> bool:
    facet = (dataset.get("facets") or {}).get("datasetType") or {}
    return str(facet.get("datasetType", "")).upper() == "MODEL"


def _has_quality_facets(event: Event) -> bool:
    keys = {"dataQualityMetrics", "dataQualityAssertions"}
    for ds in datasets(event):
        facets = {**(ds.get("facets") or {}), **(ds.get("inputFacets") or {})}
        if keys & facets.keys():
            return True
    return False


def _is_user_launch(event: Event) -> bool:
    actor = run_facets(event).get("mlaudit_actor") or {}
    return event.get("eventType") == "START" and actor.get("kind") == "user"


RULES: tuple[tuple[str, Callable[[Event], bool]], ...] = (
    (DATA_ACCESS, lambda e: bool(datasets(e))),
    (
        MODEL_DEVELOPMENT,
        lambda e: (
            "mlaudit_training" in run_facets(e) or any(is_model(d) for d in e.get("outputs") or [])
        ),
    ),
    (EVALUATION, lambda e: "mlaudit_evaluation" in run_facets(e) or _has_quality_facets(e)),
    (DEPLOYMENT, lambda e: "mlaudit_deployment" in run_facets(e)),
    (USER_ACTION, lambda e: "mlaudit_user_action" in run_facets(e) or _is_user_launch(e)),
)


def categorize(event: Event) -> list[str]:
    """All categories whose rule matches; a run event with none of them is `run`."""
    found = [name for name, rule in RULES if rule(event)]
    return found or [RUN]
