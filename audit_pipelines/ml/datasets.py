"""Training data: the raw CSV as a table, a cleaned copy and the model-ready features."""

# No `from __future__ import annotations` in asset modules: Dagster reads the `config` and `context`
# annotations at definition time and rejects the strings PEP 563 turns them into.

import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from dagster import Config, DataVersion, MetadataValue, Output, TableColumn, TableSchema, asset
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from audit_pipelines.ml.source import ASSET_GROUP, breast_cancer_csv_path, breast_cancer_source

DATASET_TAGS = {"ml/role": "dataset"}
# Patient records: the capture emits this tag as the OpenLineage `tags` facet, and the governance
# review requires an approval before a model is trained on them.
PATIENT_RECORD_TAGS = {**DATASET_TAGS, "personal_data": "true"}
TARGET_COLUMN = "target"  # as shipped: 0 = malignant, 1 = benign
LABEL_COLUMN = "malignant"  # the positive class a screening model must not miss
SPLIT_COLUMN = "split"


@cache
def feature_names() -> tuple[str, ...]:
    """The 30 feature names scikit-learn documents for the CSV, as SQL-friendly identifiers."""
    return tuple(name.replace(" ", "_") for name in load_breast_cancer().feature_names)


def read_breast_cancer_csv(path: Path) -> pd.DataFrame:
    """Read sklearn's CSV; its first line is `n_samples,n_features,<class names>`, not a header."""
    with path.open() as handle:
        n_samples, n_features = (int(field) for field in handle.readline().split(",")[:2])
    frame = pd.read_csv(path, skiprows=1, header=None, names=[*feature_names(), TARGET_COLUMN])
    if frame.shape != (n_samples, n_features + 1):
        raise ValueError(f"{path}: expected {n_samples}x{n_features + 1} values, got {frame.shape}")
    return frame


def frame_version(frame: pd.DataFrame) -> str:
    """Content hash of a table (columns, index and values): equal data, equal version."""
    digest = hashlib.sha256(json.dumps([str(column) for column in frame.columns]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The model inputs of a features table: everything but the label and the split."""
    return [column for column in frame.columns if column not in (LABEL_COLUMN, SPLIT_COLUMN)]


def table_metadata(frame: pd.DataFrame) -> dict[str, object]:
    """Dagster's standard row count and column schema of a table."""
    columns = [TableColumn(name=str(name), type=str(dtype)) for name, dtype in frame.dtypes.items()]
    return {
        "dagster/row_count": MetadataValue.int(len(frame)),
        "dagster/column_schema": MetadataValue.table_schema(TableSchema(columns=columns)),
    }


def versioned(frame: pd.DataFrame, **metadata: object) -> Output[pd.DataFrame]:
    """An output whose data version is its content hash, so changed data gets a new version."""
    return Output(
        frame,
        data_version=DataVersion(frame_version(frame)),
        metadata={**table_metadata(frame), **metadata},
    )


@asset(deps=[breast_cancer_source], group_name=ASSET_GROUP, tags=PATIENT_RECORD_TAGS)
def raw_breast_cancer() -> Output[pd.DataFrame]:
    """The raw CSV as a table: 569 tumours, 30 measurements, diagnosis as shipped."""
    return versioned(read_breast_cancer_csv(breast_cancer_csv_path()))


class CleanConfig(Config):
    """How the training data is cleaned; every change yields a different dataset version."""

    drop_outliers_zscore: float | None = None
    sample_fraction: float = 1.0
    random_seed: int = 0


def drop_outliers(frame: pd.DataFrame, zscore: float) -> pd.DataFrame:
    """Rows whose every feature lies within `zscore` standard deviations of its mean."""
    features = frame[list(feature_names())]
    scores = (features - features.mean()) / features.std(ddof=0)
    return frame[(scores.abs() <= zscore).all(axis=1)]


def stratified_sample(frame: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """A per-class sample, so subsampling keeps the malignant/benign balance."""
    sampled = frame.groupby(TARGET_COLUMN, group_keys=False).sample(
        frac=fraction, random_state=seed
    )
    return sampled.sort_index()


@asset(group_name=ASSET_GROUP, tags=PATIENT_RECORD_TAGS)
def clean_breast_cancer(
    config: CleanConfig, raw_breast_cancer: pd.DataFrame
) -> Output[pd.DataFrame]:
    """Training data: raw rows minus gaps, duplicates and (optionally) outliers, maybe sampled."""
    if not 0.0 < config.sample_fraction <= 1.0:
        raise ValueError(f"sample_fraction must be in (0, 1], got {config.sample_fraction}")
    frame = raw_breast_cancer.dropna().drop_duplicates()
    complete_rows = len(frame)
    if config.drop_outliers_zscore is not None:
        frame = drop_outliers(frame, config.drop_outliers_zscore)
    kept_rows = len(frame)
    if config.sample_fraction < 1.0:
        frame = stratified_sample(frame, config.sample_fraction, config.random_seed)
    return versioned(
        frame,
        input_rows=len(raw_breast_cancer),
        incomplete_or_duplicate_rows=len(raw_breast_cancer) - complete_rows,
        outlier_rows=complete_rows - kept_rows,
        sampled_out_rows=kept_rows - len(frame),
    )


class FeaturesConfig(Config):
    """The held-out split: its share and the seed that makes it reproducible."""

    test_size: float = 0.25
    split_seed: int = 42


def split_labels(labels: pd.Series, test_size: float, seed: int) -> pd.Series:
    """A deterministic stratified train/test assignment per row."""
    _, test_index = train_test_split(
        labels.index, test_size=test_size, stratify=labels, random_state=seed
    )
    return pd.Series(np.where(labels.index.isin(test_index), "test", "train"), index=labels.index)


@asset(group_name=ASSET_GROUP, tags=DATASET_TAGS)
def breast_cancer_features(
    config: FeaturesConfig, clean_breast_cancer: pd.DataFrame
) -> Output[pd.DataFrame]:
    """Model-ready table: standardised features, `malignant` label and a train/test `split`."""
    labels = (clean_breast_cancer[TARGET_COLUMN] == 0).astype(int).rename(LABEL_COLUMN)
    split = split_labels(labels, config.test_size, config.split_seed)
    raw_features = clean_breast_cancer[list(feature_names())]
    # Fit the scaler on the training rows only: test statistics must not leak into training.
    scaler = StandardScaler().fit(raw_features[split == "train"])
    features = pd.DataFrame(
        scaler.transform(raw_features), index=raw_features.index, columns=raw_features.columns
    )
    frame = features.assign(**{LABEL_COLUMN: labels, SPLIT_COLUMN: split})
    return versioned(
        frame,
        train_rows=int((split == "train").sum()),
        test_rows=int((split == "test").sum()),
    )


dataset_assets = [raw_breast_cancer, clean_breast_cancer, breast_cancer_features]
