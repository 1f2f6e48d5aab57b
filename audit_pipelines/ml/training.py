"""The model: a scikit-learn classifier trained on the training split and saved as an artifact."""

# No `from __future__ import annotations` in asset modules: Dagster reads the `config` and `context`
# annotations at definition time and rejects the strings PEP 563 turns them into.

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import sklearn
from dagster import Config, DataVersion, MetadataValue, Output, asset
from sklearn.base import ClassifierMixin
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from audit_pipelines.ml.datasets import LABEL_COLUMN, SPLIT_COLUMN, feature_columns
from audit_pipelines.ml.source import ASSET_GROUP
from audit_pipelines.ml.storage import MLStorage

ALGORITHMS = ("logistic_regression", "random_forest", "gradient_boosting")


class ModelConfig(Config):
    """Algorithm and hyperparameters; each algorithm uses only the fields that apply to it."""

    algorithm: str = "logistic_regression"
    C: float = 1.0  # logistic_regression: inverse regularisation strength
    max_iter: int = 1000  # logistic_regression
    n_estimators: int = 100  # random_forest, gradient_boosting
    max_depth: int | None = None  # random_forest (None: unlimited), gradient_boosting (None: 3)
    learning_rate: float = 0.1  # gradient_boosting
    random_state: int = 0


def hyperparameters(config: ModelConfig) -> dict[str, Any]:
    """The hyperparameters the chosen algorithm actually uses (what an auditor needs to see)."""
    if config.algorithm == "logistic_regression":
        return {"C": config.C, "max_iter": config.max_iter, "random_state": config.random_state}
    if config.algorithm == "random_forest":
        return {
            "n_estimators": config.n_estimators,
            "max_depth": config.max_depth,
            "random_state": config.random_state,
        }
    if config.algorithm == "gradient_boosting":
        return {
            "n_estimators": config.n_estimators,
            "max_depth": 3 if config.max_depth is None else config.max_depth,
            "learning_rate": config.learning_rate,
            "random_state": config.random_state,
        }
    raise ValueError(f"unknown algorithm {config.algorithm!r}; expected one of {ALGORITHMS}")


def build_estimator(algorithm: str, params: dict[str, Any]) -> ClassifierMixin:
    """An unfitted estimator of the algorithm with its hyperparameters."""
    if algorithm == "logistic_regression":
        return LogisticRegression(**params)
    if algorithm == "random_forest":
        return RandomForestClassifier(**params)
    if algorithm == "gradient_boosting":
        return GradientBoostingClassifier(**params)
    raise ValueError(f"unknown algorithm {algorithm!r}; expected one of {ALGORITHMS}")


def describe_architecture(estimator: ClassifierMixin) -> str:
    """The model's shape in one line, e.g. `LogisticRegression(penalty=l2)`."""
    name = type(estimator).__name__
    if isinstance(estimator, LogisticRegression):
        # scikit-learn 1.8 replaced `penalty` by `l1_ratio`: 0 is a pure L2 penalty, 1 pure L1.
        ratio = estimator.l1_ratio
        penalty = {0.0: "l2", 1.0: "l1"}.get(ratio, f"elasticnet, l1_ratio={ratio}")
        return f"{name}(penalty={penalty})"
    shape = {key: estimator.get_params()[key] for key in ("n_estimators", "max_depth")}
    return f"{name}({', '.join(f'{key}={value}' for key, value in shape.items())})"


def serialise(estimator: ClassifierMixin) -> tuple[bytes, str]:
    """The artifact bytes and the model version: the first 16 hex digits of their SHA-256."""
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()[:16]


def write_artifact(path: Path, data: bytes) -> None:
    """Write the artifact atomically, so a crash never leaves a truncated model behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


@asset(group_name=ASSET_GROUP, tags={"ml/role": "model"})
def breast_cancer_model(
    config: ModelConfig, breast_cancer_features: pd.DataFrame, ml_storage: MLStorage
) -> Output[ClassifierMixin]:
    """Classifier of malignant tumours, trained on the training split and saved as an artifact."""
    params = hyperparameters(config)
    train = breast_cancer_features[breast_cancer_features[SPLIT_COLUMN] == "train"]
    estimator = build_estimator(config.algorithm, params)
    estimator.fit(train[feature_columns(train)], train[LABEL_COLUMN])
    data, version = serialise(estimator)
    artifact = ml_storage.model_artifact_path(version)
    write_artifact(artifact, data)
    return Output(
        estimator,
        data_version=DataVersion(version),
        metadata={
            "algorithm": config.algorithm,
            "architecture": describe_architecture(estimator),
            "framework": f"scikit-learn {sklearn.__version__}",
            "hyperparameters": MetadataValue.json(params),
            "artifact_path": MetadataValue.path(str(artifact)),
            "train_rows": len(train),
        },
    )


MODEL_KEY = breast_cancer_model.key
