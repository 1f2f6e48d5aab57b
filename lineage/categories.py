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


class _Facts:
    """What the rules read of one event, each looked up once."""

    __slots__ = ("datasets", "event", "run_facets")

    def __init__(self, event: Event) -> None:
        self.event = event
        self.run_facets = run_facets(event)
        self.datasets = datasets(event)


_QUALITY_FACETS = frozenset({"dataQualityMetrics", "dataQualityAssertions"})


def _has_quality_facets(facts: _Facts) -> bool:
    for ds in facts.datasets:
        for key in ("facets", "inputFacets"):
            if not _QUALITY_FACETS.isdisjoint(ds.get(key) or {}):
                return True
    return False


def _is_user_launch(facts: _Facts) -> bool:
    actor = facts.run_facets.get("mlaudit_actor") or {}
    return facts.event.get("eventType") == "START" and actor.get("kind") == "user"


def _is_model_development(facts: _Facts) -> bool:
    if "mlaudit_training" in facts.run_facets:
        return True
    return any(is_model(d) for d in facts.event.get("outputs") or [])


RULES: tuple[tuple[str, Callable[[_Facts], bool]], ...] = (
    (DATA_ACCESS, lambda f: bool(f.datasets)),
    (MODEL_DEVELOPMENT, _is_model_development),
    (EVALUATION, lambda f: "mlaudit_evaluation" in f.run_facets or _has_quality_facets(f)),
    (DEPLOYMENT, lambda f: "mlaudit_deployment" in f.run_facets),
    (USER_ACTION, lambda f: "mlaudit_user_action" in f.run_facets or _is_user_launch(f)),
)


def categorize(event: Event) -> list[str]:
    """All categories whose rule matches; a run event with none of them is `run`."""
    facts = _Facts(event)
    found = [name for name, rule in RULES if rule(facts)]
    return found or [RUN]
