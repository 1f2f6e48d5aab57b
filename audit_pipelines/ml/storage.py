"""Where the example ML project keeps its files: IO manager values, artifacts, serving registry.

Everything lives under one home folder (`MLAUDIT_HOME`, else `DAGSTER_HOME`), so a demo instance and
its files can be thrown away together.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dagster import AssetKey, ConfigurableResource, FilesystemIOManager

MODEL_NAME = "breast_cancer_model"


def ml_home(fallback: Path | None = None) -> Path:
    """The home folder: `MLAUDIT_HOME`, else `DAGSTER_HOME`, else `fallback`."""
    for variable in ("MLAUDIT_HOME", "DAGSTER_HOME"):
        value = os.environ.get(variable)
        if value:
            return Path(value).expanduser().resolve()
    if fallback is None:
        raise RuntimeError(
            "set MLAUDIT_HOME or DAGSTER_HOME to the folder the ML project writes to"
        )
    return fallback.expanduser().resolve()


def io_manager_dir(home: Path) -> Path:
    """Folder of the values the filesystem IO manager stores (Dagster's own default location)."""
    return home / "storage"


class MLStorage(ConfigurableResource):
    """Folders of the ML project's files outside the IO manager: artifacts and serving registry."""

    home: str

    @property
    def root(self) -> Path:
        return Path(self.home)

    @property
    def io_manager_dir(self) -> Path:
        return io_manager_dir(self.root)

    @property
    def model_artifact_dir(self) -> Path:
        return self.root / "artifacts" / "models"

    def model_artifact_path(self, version: str) -> Path:
        """The artifact file of one model version; versions are content hashes, so never reused."""
        return self.model_artifact_dir / f"{MODEL_NAME}-{version}.joblib"

    def serving_dir(self, environment: str) -> Path:
        """The local serving registry folder of the model in one environment."""
        return self.root / "serving" / environment / MODEL_NAME

    def stored_value_path(self, asset_key: AssetKey) -> Path:
        """The file the filesystem IO manager wrote for an unpartitioned asset."""
        base = self.io_manager_dir.resolve()
        path = base.joinpath(*asset_key.path).resolve()
        # An asset key is user input in the deletion job: never let it name a file outside storage.
        if base not in path.parents:
            raise ValueError(f"asset key {asset_key.to_user_string()!r} is outside {base}")
        return path


def default_resources(home: Path) -> dict[str, Any]:
    """The pipeline's own resources: a filesystem IO manager and the ML storage folders."""
    home = Path(home).expanduser().resolve()
    return {
        "io_manager": FilesystemIOManager(base_dir=str(io_manager_dir(home))),
        "ml_storage": MLStorage(home=str(home)),
    }
