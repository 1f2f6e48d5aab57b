"""Helpers for the policy tests (no tests here): histories shaped like the Dagster capture's.

Each step is a child run with START and COMPLETE events carrying `mlaudit_actor` (kind user
with the `dagster/user` source, or the capture's `unknown` placeholder), datasets named
`test/<name>` with a version facet, models typed MODEL, and the ML facets of lineage/facets.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lineage.review.context import ReviewContext, ReviewWindow
from lineage.store import AuditStore

TAGS_SCHEMA = "https://openlineage.io/spec/facets/1-0-0/TagsDatasetFacet.json"
DROP_SCHEMA = "https://openlineage.io/spec/facets/1-0-1/LifecycleStateChangeDatasetFacet.json"
FAR = "2099-01-01T00:00:00.000000Z"
MODEL = "test/model"


def later(days: int) -> str:
    """A time `days` after now: after any user action recorded by the test."""
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def at(minute: int, day: int = 1) -> str:
    return f"2026-01-{day:02d}T10:{minute:02d}:00Z"


def context(store: AuditStore, config: dict[str, Any] | None = None, **window: str | None):
    until = window.get("until") or FAR
    return ReviewContext(store, ReviewWindow(window.get("since"), until), until, config or {})


class History:
    """Builds and ingests one ML history step by step."""

    def __init__(self, store: AuditStore, kit: Any) -> None:
        self.store, self.kit = store, kit

    def _actor(self, actor: str | None) -> dict[str, Any]:
        if actor is None:
            return {}
        if actor == "unknown":
            return {
                "mlaudit_actor": self.kit.facet("ActorRunFacet", name="unknown", kind="unknown")
            }
        fields = {"name": actor, "kind": "user", "source": "dagster/user"}
        return {"mlaudit_actor": self.kit.facet("ActorRunFacet", **fields)}

    def step(
        self,
        run: str,
        job: str,
        time: str,
        *,
        actor: str | None = "alice",
        inputs: list[dict] | None = None,
        outputs: list[dict] | None = None,
        **facets: dict,
    ) -> None:
        start = self.kit.event(run, job, time=time, event_type="START", **self._actor(actor))
        end_time = time.replace("00Z", "30Z") if time.endswith(":00Z") else time
        end = self.kit.event(
            run,
            job,
            time=end_time,
            inputs=inputs,
            outputs=outputs,
            **self._actor(actor),
            **facets,
        )
        self.store.ingest([start, end])

    def data(self, name: str, version: str, **facets: dict) -> dict:
        return self.kit.dataset(name, version, **facets)

    def personal(self, name: str, version: str) -> dict:
        tags = {"_producer": "https://test", "_schemaURL": TAGS_SCHEMA}
        tags["tags"] = [{"key": "pii", "value": "true", "source": "DAGSTER"}]
        return self.kit.dataset(name, version, tags=tags)

    def model(self, version: str) -> dict:
        return self.kit.dataset("model", version, model=True)

    def write(self, run: str, time: str, output: dict, *, actor: str | None = "alice") -> None:
        self.step(run, "build", time, actor=actor, outputs=[output])

    def delete(self, run: str, time: str, name: str, *, actor: str = "mallory") -> None:
        drop = {"_producer": "https://test", "_schemaURL": DROP_SCHEMA}
        gone = self.kit.dataset(name, lifecycleStateChange={**drop, "lifecycleStateChange": "DROP"})
        self.step(run, "cleanup", time, actor=actor, outputs=[gone])

    def train(self, run: str, time: str, inputs: list[dict], version: str, **kw: Any) -> None:
        training = self.kit.facet(
            "TrainingRunFacet", algorithm="logistic_regression", hyperparameters={"C": 1.0}
        )
        outputs = [self.model(version)]
        self.step(
            run, "train", time, inputs=inputs, outputs=outputs, mlaudit_training=training, **kw
        )

    def evaluate(
        self, run: str, time: str, version: str, metrics: dict[str, float], passed: bool = True
    ) -> None:
        checks = [{"name": "accuracy_at_least_0_9", "passed": passed, "severity": "ERROR"}]
        facet = self.kit.facet(
            "EvaluationRunFacet",
            model={"namespace": "test", "name": "model", "version": version},
            metrics=metrics,
            checks=checks,
        )
        self.step(run, "evaluate", time, inputs=[self.model(version)], mlaudit_evaluation=facet)

    def deploy(
        self,
        run: str,
        time: str,
        version: str,
        *,
        action: str = "deploy",
        previous: str | None = None,
        environment: str = "production",
        actor: str | None = "alice",
    ) -> None:
        fields: dict[str, Any] = {"environment": environment, "action": action}
        fields["model"] = {"namespace": "test", "name": "model", "version": version}
        if previous:
            fields["previousVersion"] = previous
        facet = self.kit.facet("DeploymentRunFacet", **fields)
        inputs = [self.model(version)]
        self.step(run, "deploy", time, actor=actor, inputs=inputs, mlaudit_deployment=facet)

    def new_data(self, day: int, *, actor: str = "alice") -> None:
        """Day `day`: raw version r<day> arrives and is cleaned into c<day>."""
        raw, clean = self.data("raw", f"r{day}"), self.data("clean", f"c{day}")
        self.write(f"ingest{day}", at(0, day=day), raw, actor=actor)
        self.step(f"clean{day}", "clean", at(1, day=day), inputs=[raw], outputs=[clean])

    def release(self, day: int, metrics: dict[str, float], **deployment: Any) -> None:
        """Day `day`: m<day> is trained on c<day>, evaluated (passing), then deployed."""
        version = f"m{day}"
        self.train(f"train{day}", at(2, day=day), [self.data("clean", f"c{day}")], version)
        self.evaluate(f"eval{day}", at(3, day=day), version, metrics)
        self.deploy(f"deploy{day}", at(4, day=day), version, **deployment)

    def governed(self) -> None:
        """A well-governed history: data, training, a passing evaluation, then the deployment;
        a better second version replaces it the next day."""
        self.new_data(1)
        self.release(1, {"accuracy": 0.95, "log_loss": 0.20})
        self.new_data(2)
        self.release(2, {"accuracy": 0.96, "log_loss": 0.18}, action="update", previous="m1")


def rules_of(drafts: list[Any]) -> list[tuple[str, str]]:
    return sorted((d.rule, d.subject) for d in drafts)


def run_subject(kit: Any, run: str) -> str:
    return f"run:{kit.run_id(run)}"


def deployment_subject(kit: Any, run: str) -> str:
    return f"deployment:{kit.run_id(run)}"
