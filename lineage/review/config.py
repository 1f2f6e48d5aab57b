"""The review configuration: one TOML file per project, over the reviews' built-in defaults.

Looked up at MLAUDIT_REVIEW_CONFIG, else `<MLAUDIT_HOME>/review.toml`; absent means defaults.
Each review owns one top-level table (`[policies.<rule>]`, `[anomalies.<detector>]`,
`[retention]`, ...) and validates its own keys, naming the file and key it rejects.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from lineage.errors import AuditError
from lineage.settings import Settings


class ReviewConfigError(AuditError):
    """The review configuration file cannot be read or has a wrong value."""


def config_path(settings: Settings, env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ if env is None else env)
    explicit = env.get("MLAUDIT_REVIEW_CONFIG")
    return Path(explicit).expanduser() if explicit else settings.home / "review.toml"


def load_review_config(settings: Settings, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The parsed file, or {} when there is none at the default place."""
    path = config_path(settings, env)
    explicit = (os.environ if env is None else env).get("MLAUDIT_REVIEW_CONFIG")
    if not path.exists():
        if explicit:
            raise ReviewConfigError(f"{path}: review configuration not found")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewConfigError(f"{path}: cannot read review configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ReviewConfigError(f"{path}: invalid TOML: {exc}") from exc
