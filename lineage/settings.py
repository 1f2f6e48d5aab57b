"""One settings object for the whole core, read from MLAUDIT_* environment variables once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

OFF = {"off", "0", "false", "no"}


@dataclass(frozen=True)
class Settings:
    """Where the audit store and its keys live."""

    home: Path
    database_url: str
    keys_dir: Path
    # A child process prepares large SQLite batches, and bulk imports on either database, on a
    # second core (lineage.prepare_worker).
    prepare_worker: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        home = Path(env.get("MLAUDIT_HOME", ".mlaudit")).expanduser().resolve()
        url = env.get("MLAUDIT_DATABASE_URL") or f"sqlite:///{home / 'audit.db'}"
        keys = Path(env.get("MLAUDIT_KEYS_DIR") or home / "keys").expanduser().resolve()
        worker = env.get("MLAUDIT_PREPARE_WORKER", "on").strip().lower() not in OFF
        return cls(home=home, database_url=url, keys_dir=keys, prepare_worker=worker)
