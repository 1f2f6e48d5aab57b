"""How a dataset version is named when an event says, and when it does not."""

from __future__ import annotations

from typing import Any


def output_version(facets: dict[str, Any], run_id: str) -> str:
    """The `version` facet when present; otherwise the producing run is the version."""
    version = (facets.get("version") or {}).get("datasetVersion")
    return str(version) if version else f"run:{run_id}"
