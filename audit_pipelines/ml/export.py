"""An export of the project's data and model: one asset reading every dataset, the model and its
evaluation, and writing them to a single file under `<home>/exports`. An ordinary, legitimate
asset: who runs it, when and how often is what the audit looks at (the demo stages an off-hours
bulk export with it)."""

# No `from __future__ import annotations` in asset modules: Dagster reads the annotations of the
# asset's parameters at definition time.

from typing import Any

import joblib
import pandas as pd
from dagster import MetadataValue, Output, asset, define_asset_job
from sklearn.base import ClassifierMixin

from audit_pipelines.ml.datasets import PATIENT_RECORD_TAGS
from audit_pipelines.ml.source import ASSET_GROUP
from audit_pipelines.ml.storage import MLStorage


@asset(group_name=ASSET_GROUP, tags=PATIENT_RECORD_TAGS)
def project_export(
    clean_breast_cancer: pd.DataFrame,
    breast_cancer_features: pd.DataFrame,
    breast_cancer_model: ClassifierMixin,
    breast_cancer_evaluation: dict[str, Any],
    ml_storage: MLStorage,
) -> Output[str]:
    """Everything the project holds in one joblib file: the patient records included."""
    path = ml_storage.root / "exports" / "project_export.joblib"
    path.parent.mkdir(parents=True, exist_ok=True)
    bundle = {
        "clean_breast_cancer": clean_breast_cancer,
        "breast_cancer_features": breast_cancer_features,
        "breast_cancer_model": breast_cancer_model,
        "breast_cancer_evaluation": breast_cancer_evaluation,
    }
    joblib.dump(bundle, path)
    return Output(
        str(path),
        metadata={
            "path": MetadataValue.path(str(path)),
            "patient_rows": len(clean_breast_cancer),
        },
    )


export_project = define_asset_job(
    "export_project",
    selection=[project_export],
    description="Export every dataset, the model and its evaluation to one file.",
)
