"""A small, complete ML history for the query tests: two model versions, a rollback, a delete."""

from __future__ import annotations

from typing import Any


def ml_history(kit: Any) -> list[dict]:
    k = kit
    model = {"namespace": "test", "name": "model"}
    drop = {
        "lifecycleStateChange": {
            "_producer": "https://test",
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/LifecycleStateChangeDatasetFacet.json",
            "lifecycleStateChange": "DROP",
        }
    }
    return [
        k.event(
            "ingest",
            "ingest",
            time="2026-01-01T10:00:00Z",
            actor="alice",
            inputs=[k.dataset("source.csv")],
            outputs=[k.dataset("raw", "r1")],
        ),
        k.event(
            "clean1",
            "clean",
            time="2026-01-01T10:01:00Z",
            actor="alice",
            inputs=[k.dataset("raw", "r1")],
            outputs=[k.dataset("clean", "c1")],
        ),
        k.event(
            "train1",
            "train",
            time="2026-01-01T10:02:00Z",
            actor="alice",
            inputs=[k.dataset("clean", "c1")],
            outputs=[k.dataset("model", "m1", model=True)],
            mlaudit_training=k.facet(
                "TrainingRunFacet", algorithm="logistic_regression", hyperparameters={"C": 1.0}
            ),
        ),
        k.event(
            "eval1",
            "evaluate",
            time="2026-01-01T10:03:00Z",
            actor="alice",
            inputs=[k.dataset("model", "m1", model=True)],
            mlaudit_evaluation=k.facet(
                "EvaluationRunFacet",
                model={**model, "version": "m1"},
                metrics={"accuracy": 0.95},
                checks=[{"name": "accuracy_at_least_0_9", "passed": True}],
            ),
        ),
        k.event(
            "deploy1",
            "deploy",
            time="2026-01-01T10:04:00Z",
            actor="alice",
            inputs=[k.dataset("model", "m1", model=True)],
            mlaudit_deployment=k.facet(
                "DeploymentRunFacet",
                environment="production",
                model={**model, "version": "m1"},
                action="deploy",
            ),
        ),
        k.event(
            "clean2",
            "clean",
            time="2026-01-02T10:00:00Z",
            actor="bob",
            inputs=[k.dataset("raw", "r1")],
            outputs=[k.dataset("clean", "c2")],
        ),
        k.event(
            "train2",
            "train",
            time="2026-01-02T10:01:00Z",
            actor="bob",
            inputs=[k.dataset("clean", "c2")],
            outputs=[k.dataset("model", "m2", model=True)],
            mlaudit_training=k.facet(
                "TrainingRunFacet", algorithm="random_forest", hyperparameters={"n_estimators": 200}
            ),
        ),
        k.event(
            "deploy2",
            "deploy",
            time="2026-01-02T10:02:00Z",
            actor="bob",
            inputs=[k.dataset("model", "m2", model=True)],
            mlaudit_deployment=k.facet(
                "DeploymentRunFacet",
                environment="production",
                model={**model, "version": "m2"},
                action="update",
                previousVersion="m1",
            ),
        ),
        k.event(
            "rollback",
            "deploy",
            time="2026-01-03T09:00:00Z",
            actor="carol",
            inputs=[k.dataset("model", "m1", model=True)],
            mlaudit_deployment=k.facet(
                "DeploymentRunFacet",
                environment="production",
                model={**model, "version": "m1"},
                action="rollback",
                previousVersion="m2",
            ),
        ),
        k.event(
            "delete",
            "retention",
            time="2026-01-04T00:00:00Z",
            actor="dave",
            outputs=[{"namespace": "test", "name": "raw", "facets": drop}],
        ),
    ]
