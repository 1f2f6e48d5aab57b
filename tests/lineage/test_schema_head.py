"""Opening a store at the newest schema revision reads it and nothing more: alembic is imported
only when there is a migration to run (a fifth of a second of every command otherwise)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from migration_support import alembic

from lineage.db import MIGRATIONS, create_store_engine, schema_head, schema_revision
from lineage.store import AuditStore

ROOT = Path(__file__).resolve().parents[2]
OPEN_AND_LIST = (
    "import sys; from lineage.store import AuditStore; AuditStore.open(sys.argv[1]).close();"
    " print('alembic' in sys.modules)"
)


def test_the_head_read_from_file_names_is_alembics() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_current_head() == schema_head()
    for script in scripts.walk_revisions():  # each file named by the revision it declares
        assert Path(script.path).name.startswith(f"{script.revision}_")


def test_a_store_at_the_head_opens_without_alembic(sqlite_url: str) -> None:
    AuditStore.open(sqlite_url).close()  # created: migrated with alembic

    def alembic_imported() -> str:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", OPEN_AND_LIST, sqlite_url],
            capture_output=True, text=True, env=env, check=True, timeout=120,
        )  # fmt: skip
        return done.stdout.strip()

    assert alembic_imported() == "False"


def test_a_store_behind_the_head_is_migrated_when_opened(db_url: str) -> None:
    AuditStore.open(db_url).close()
    engine = create_store_engine(db_url)
    try:
        alembic(engine, "downgrade", "0017")
        assert schema_revision(engine) == "0017"
        AuditStore.open(db_url).close()
        assert schema_revision(engine) == schema_head()
    finally:
        engine.dispose()


def test_a_new_store_has_no_revision_until_it_is_opened(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        assert schema_revision(engine) is None
        AuditStore.open(db_url).close()
        assert schema_revision(engine) == schema_head()
    finally:
        engine.dispose()
