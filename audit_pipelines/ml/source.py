"""The external raw data: scikit-learn's bundled copy of the Wisconsin breast cancer CSV."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from dagster import DataVersion, MetadataValue, ObserveResult, observable_source_asset

ASSET_GROUP = "breast_cancer"  # one Dagster asset group for the whole example project


def breast_cancer_csv_path() -> Path:
    """Absolute path of the CSV that ships inside scikit-learn (no download)."""
    path = Path(str(resources.files("sklearn.datasets") / "data" / "breast_cancer.csv"))
    return path.resolve()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@observable_source_asset(
    group_name=ASSET_GROUP,
    tags={"ml/role": "source"},
    metadata={"dagster/uri": breast_cancer_csv_path().as_uri()},
)
def breast_cancer_source() -> ObserveResult:
    """Raw Wisconsin diagnostic breast cancer CSV; its version is the SHA-256 of the file."""
    path = breast_cancer_csv_path()
    return ObserveResult(
        data_version=DataVersion(file_sha256(path)),
        # The uri is repeated on the observation so the event log alone names the physical file.
        metadata={
            "dagster/uri": path.as_uri(),
            "size_bytes": path.stat().st_size,
            "path": MetadataValue.path(str(path)),
        },
    )
