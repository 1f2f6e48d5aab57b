"""The pipeline's resources: the ML project's own, with the IO manager wrapped for auditing.

The ML project defines its resources (`default_resources(home)`: a filesystem IO manager under
`<home>/storage` and the `ml_storage` folders). This module only wraps that IO manager in the
audited one, so every asset load is recorded as a read, and adds the audit store the capture
sensor writes to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit_pipelines.capture.emitter import AuditStoreResource
from audit_pipelines.capture.io_manager import AuditedIOManager
from audit_pipelines.ml.storage import default_resources
from lineage.settings import Settings

AUDIT_STORE_KEY = "audit_store"


def pipeline_home() -> Path:
    """The audit home (MLAUDIT_HOME, default ./.mlaudit): the same folder the `mlaudit` CLI
    uses, so the ML files, the audit store and the demo's instance (<home>/dagster) sit
    together whether the pipelines run from `mlaudit demo` or from `dagster dev`."""
    return Settings.from_env().home


def pipeline_resources(home: Path | None = None, store_url: str | None = None) -> dict[str, Any]:
    """Resources of the definitions: files under `home`; the store at `store_url`, else
    MLAUDIT_DATABASE_URL (else a SQLite file under MLAUDIT_HOME)."""
    resources = dict(default_resources(pipeline_home() if home is None else Path(home)))
    resources["io_manager"] = AuditedIOManager(inner=resources["io_manager"])
    resources[AUDIT_STORE_KEY] = AuditStoreResource(url=store_url)
    return resources
