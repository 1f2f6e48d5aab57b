"""The seeded store the UI tests share: the real demo history, four accounts, a signed head."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "correct horse battery"
ACCOUNTS = {
    "ada": ("admin", ()),
    "aud": ("auditor", ()),
    "eng": ("ml_engineer", ("dagster/*",)),
    "vic": ("viewer", ()),
}
# Model versions hash the trained artifact, whose float bits differ between CPUs (BLAS kernels):
# tests read the version production serves from the seeded store, never a constant.
VERSION_FILE = "deployed_version"


@dataclass(frozen=True)
class Seeded:
    home: Path
    keys: Path
    database: Path

    @property
    def deployed_version(self) -> str:
        """The model version production serves after the demo's rollback."""
        return (self.home / VERSION_FILE).read_text()


def seed(home: Path) -> Seeded:
    """Run the demo into `home` (real Dagster runs), add the accounts, sign a tree head."""
    import contextlib
    import io
    import warnings

    from dagster import BetaWarning

    warnings.filterwarnings("ignore", category=BetaWarning)
    from audit_pipelines.demo import run_demo
    from lineage.accounts.service import add_user
    from lineage.cli.session import LOCAL_OPERATOR
    from lineage.merkle.heads import sign_head
    from lineage.settings import Settings
    from lineage.store import AuditStore

    env = {"MLAUDIT_HOME": str(home), "MLAUDIT_KEYS_DIR": str(home / "keys")}
    saved = {k: os.environ.get(k) for k in (*env, "MLAUDIT_DATABASE_URL")}
    os.environ.update(env)
    os.environ.pop("MLAUDIT_DATABASE_URL", None)
    try:
        settings = Settings.from_env()
        with contextlib.redirect_stdout(io.StringIO()):  # the demo prints its trace
            result = run_demo(settings, as_json=True)
        (home / VERSION_FILE).write_text(result["model"]["version"])
        store = AuditStore.open(settings.database_url, settings=settings)
        for name, (role, projects) in ACCOUNTS.items():
            add_user(store, LOCAL_OPERATOR, name, [role], password=PASSWORD, projects=projects)
        sign_head(store)
        store.close()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Seeded(home, home / "keys", home / "audit.db")


def shared_seed(base: Path) -> Seeded:
    """The seeded store of this test run, made once even when several xdist workers ask at once.

    `base` is pytest's base temp dir; xdist workers of one run share its parent and a run id.
    """
    import fcntl

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    root = base.parent / f"mlaudit-ui-seed-{run}" if run else base / "mlaudit-ui-seed"
    root.mkdir(parents=True, exist_ok=True)
    home = root / "seeded"
    with open(root / "seed.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "done").exists():
            seed(home)
            (home / "done").write_text("ok")
    return Seeded(home, home / "keys", home / "audit.db")


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite store (the backup API includes what sits in the WAL)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target
