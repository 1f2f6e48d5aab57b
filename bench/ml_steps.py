"""The ML side of a refresh cycle: train a model version, evaluate it, deploy it, roll back.

Staging takes every version that passes its checks; production is promoted less often, and now
and then rolled back to the version it ran before (the `rollback` action, with the version it
replaces as `previousVersion`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.events import custom, dataset_ref, dataset_written, model_ref
from bench.targets import TargetBook
from bench.world import ALGORITHMS, Domain, Node, depth_of

FAIL_RATE = 0.02


@dataclass
class Run:
    """A run to emit: its job (namespace, name, type), who, what it read and wrote, its facets.

    A failed run ends in FAIL and writes nothing; a long run (a read) may outlast later runs.
    """

    job: tuple[str, str, str]
    actor: tuple[str, str]
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]] = field(default_factory=list)
    facets: dict[str, Any] = field(default_factory=dict)
    long: bool = False
    failed: bool = False


def new_version(rng: random.Random, node: Node) -> str:
    node.versions += 1
    node.current = f"v{node.versions}-{rng.getrandbits(40):010x}"
    return node.current


class MLSteps:
    def __init__(self, rng: random.Random, book: TargetBook) -> None:
        self.rng = rng
        self.book = book
        self.deployed: dict[tuple[int, str], list[str]] = {}
        self.depths: dict[int, int] = {}

    def release(
        self, domain: Domain, model: Node, user: tuple[str, str], clock: Callable[[], datetime]
    ) -> Iterator[Run]:
        """Train a new version of `model`; if that works, evaluate it and maybe deploy it.

        `clock()` is the generator's time: between two yields it is the start of the run just
        yielded, which is after every earlier run ended."""
        before = clock()
        if not all(i.current for i in model.inputs):
            return
        previous = model.current
        training = self._train(domain, model, user)
        yield training
        if training.failed:
            return
        depth = depth_of(model, self.depths)
        self.book.model_version(model, model.current, depth, before, previous)
        evaluation, passed = self._evaluate(domain, model, user)
        yield evaluation
        self.book.moment(model, clock(), str(model.current))
        if passed:
            yield self._deploy(domain, model, user, "staging")
            if self.rng.random() < 0.4:
                yield self._deploy(domain, model, user, "production")
        if self.rng.random() < 0.1 and len(self.deployed.get((id(model), "production"), [])) > 1:
            yield self._rollback(domain, model, user)

    def _train(self, domain: Domain, model: Node, user: tuple[str, str]) -> Run:
        reads = [dataset_ref(i, i.current) for i in model.inputs if i.current]
        job = (f"ml.{domain.name}", f"train.{model.name}", "JOB")
        if self.rng.random() < FAIL_RATE:
            return Run(job, user, reads, failed=True)
        hyperparameters = {
            "learning_rate": round(self.rng.choice((0.3, 0.1, 0.05, 0.01)), 3),
            "max_depth": self.rng.randint(3, 12),
            "n_estimators": self.rng.choice((100, 200, 500, 1000)),
            "subsample": round(self.rng.uniform(0.5, 1.0), 2),
            "random_state": self.rng.randint(0, 2**16),
        }
        training = custom(
            "TrainingRunFacet",
            algorithm=self.rng.choice(ALGORITHMS),
            hyperparameters=hyperparameters,
            framework="scikit-learn",
        )
        written = dataset_written(model, new_version(self.rng, model), self.rng.randint(1, 10))
        self.book.wrote(model)
        return Run(job, user, reads, [written], {"mlaudit_training": training})

    def _evaluate(self, domain: Domain, model: Node, user: tuple[str, str]) -> tuple[Run, bool]:
        auc = round(self.rng.uniform(0.7, 0.97), 4)
        passed = auc >= 0.75
        evaluation = custom(
            "EvaluationRunFacet",
            model=model_ref(model, model.current),
            metrics={"roc_auc": auc, "f1": round(auc - 0.08, 4), "log_loss": round(1 - auc, 4)},
            checks=[{"name": "roc_auc_at_least_0_75", "passed": passed, "severity": "ERROR"}],
            split="holdout",
        )
        reads = [dataset_ref(model, model.current)]
        if domain.holdout.current:
            reads.append(dataset_ref(domain.holdout, domain.holdout.current))
        job = (f"ml.{domain.name}", f"evaluate.{model.name}", "JOB")
        return Run(job, user, reads, facets={"mlaudit_evaluation": evaluation}), passed

    def _deploy(self, domain: Domain, model: Node, user: tuple[str, str], env: str) -> Run:
        history = self.deployed.setdefault((id(model), env), [])
        previous = history[-1] if history else None
        history.append(str(model.current))
        action = "update" if previous else "deploy"
        return self._deployment(domain, model, user, env, (action, model.current, previous))

    def _rollback(self, domain: Domain, model: Node, user: tuple[str, str]) -> Run:
        history = self.deployed[(id(model), "production")]
        current = history.pop()
        return self._deployment(
            domain, model, user, "production", ("rollback", history[-1], current)
        )

    def _deployment(
        self,
        domain: Domain,
        model: Node,
        user: tuple[str, str],
        env: str,
        change: tuple[str, str | None, str | None],
    ) -> Run:
        action, version, previous = change
        deployment = custom(
            "DeploymentRunFacet",
            environment=env,
            model=model_ref(model, version),
            action=action,
            previousVersion=previous,
            target=f"serving/{domain.name}/{env}",
        )
        job = (f"ml.{domain.name}", f"deploy.{model.name}.{env}", "JOB")
        reads = [dataset_ref(model, str(version))]
        return Run(job, user, reads, facets={"mlaudit_deployment": deployment})
