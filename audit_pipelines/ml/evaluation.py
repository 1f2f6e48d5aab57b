"""Evaluation of the model on the held-out split, and the quality gates checked on its metrics."""

# No `from __future__ import annotations` in asset modules: Dagster reads the `config` and `context`
# annotations at definition time and rejects the strings PEP 563 turns them into.

from typing import Any

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Output,
    asset,
    asset_check,
)
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from audit_pipelines.ml.datasets import LABEL_COLUMN, SPLIT_COLUMN, feature_columns
from audit_pipelines.ml.records import latest_data_version
from audit_pipelines.ml.source import ASSET_GROUP
from audit_pipelines.ml.training import MODEL_KEY

EVALUATION_SPLIT = "test"


def classification_metrics(model: ClassifierMixin, frame: pd.DataFrame) -> dict[str, float]:
    """Accuracy, precision, recall, F1 and ROC AUC of `malignant` predictions, as plain floats."""
    features, labels = frame[feature_columns(frame)], frame[LABEL_COLUMN]
    predicted = model.predict(features)
    # Probability of the positive class: column of label 1 in the model's class order.
    scores = model.predict_proba(features)[:, list(model.classes_).index(1)]
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "roc_auc": float(roc_auc_score(labels, scores)),
    }


@asset(group_name=ASSET_GROUP, tags={"ml/role": "evaluation"})
def breast_cancer_evaluation(
    context: AssetExecutionContext,
    breast_cancer_model: ClassifierMixin,
    breast_cancer_features: pd.DataFrame,
) -> Output[dict[str, Any]]:
    """Metrics of the current model version on the held-out test split."""
    held_out = breast_cancer_features[breast_cancer_features[SPLIT_COLUMN] == EVALUATION_SPLIT]
    metrics = classification_metrics(breast_cancer_model, held_out)
    # The IO manager loads the model's latest stored value, whose version is the data version of
    # the model's latest materialization (the same record Dagster's input provenance uses).
    model_version = latest_data_version(context.instance, MODEL_KEY)
    if model_version is None:
        raise RuntimeError("the model has no recorded materialization; materialize it first")
    return Output(
        {**metrics, "model_version": model_version, "split": EVALUATION_SPLIT},
        metadata={
            **metrics,
            "model_version": model_version,
            "split": EVALUATION_SPLIT,
            "test_rows": len(held_out),
        },
    )


def metric_check(
    metrics: dict[str, Any], name: str, threshold: float, severity: AssetCheckSeverity
) -> AssetCheckResult:
    """A check result that passes when a metric reaches its threshold, carrying the value."""
    value = float(metrics[name])
    return AssetCheckResult(
        passed=value >= threshold,
        severity=severity,
        metadata={
            name: value,
            "threshold": threshold,
            "model_version": str(metrics["model_version"]),
        },
        description=f"{name} {value:.4f} {'>=' if value >= threshold else '<'} {threshold}",
    )


@asset_check(asset=breast_cancer_evaluation)
def accuracy_at_least_0_9(breast_cancer_evaluation: dict[str, Any]) -> AssetCheckResult:
    """Release gate: test accuracy of at least 0.9 (ERROR when missed)."""
    return metric_check(breast_cancer_evaluation, "accuracy", 0.9, AssetCheckSeverity.ERROR)


@asset_check(asset=breast_cancer_evaluation)
def roc_auc_at_least_0_95(breast_cancer_evaluation: dict[str, Any]) -> AssetCheckResult:
    """Early warning: test ROC AUC of at least 0.95 (WARN when missed)."""
    return metric_check(breast_cancer_evaluation, "roc_auc", 0.95, AssetCheckSeverity.WARN)


evaluation_checks = [accuracy_at_least_0_9, roc_auc_at_least_0_95]
