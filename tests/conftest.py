"""Database fixtures: every store test runs against real SQLite and the local PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lineage.store import AuditStore

PG_ADMIN_URL = os.environ.get(
    "MLAUDIT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# What the shell says about a real store never reaches a test: the Makefile exports the demo's
# homes (MLAUDIT_HOME, DAGSTER_HOME) to every target, and a developer may have signed in
# (MLAUDIT_USER, MLAUDIT_TOKEN) or pointed MLAUDIT_DATABASE_URL at a real database; a test that
# fell back on them wrote into the checkout's .mlaudit. Tests set what they need themselves.
# Kept: how to reach the test PostgreSQL and the opt-in benchmarks.
KEPT_FROM_SHELL = ("MLAUDIT_TEST_PG", "MLAUDIT_BENCH")
for _name in [n for n in os.environ if n.startswith(("MLAUDIT_", "OPENLINEAGE_"))]:
    if not _name.startswith(KEPT_FROM_SHELL):
        del os.environ[_name]
os.environ.pop("DAGSTER_HOME", None)


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]


@pytest.fixture(autouse=True)
def keys_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own secret keys (pseudonym, vault), created on first use in tmp_path.

    Pseudonyms are stable within a test: compare with `pseudonym_for(name, store.keys.
    pseudonym_key())`. No key or privacy rule leaks in from the shell.
    """
    path = tmp_path / "keys"
    monkeypatch.setenv("MLAUDIT_KEYS_DIR", str(path))
    for name in ("MLAUDIT_PSEUDONYM_KEY", "MLAUDIT_VAULT_KEY", "MLAUDIT_PRIVACY_RULES"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture(scope="session")
def pg_reachable() -> None:
    problem = _pg_available()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required in CI and unreachable: {problem}")
    pytest.skip(f"PostgreSQL unreachable ({problem})")


@pytest.fixture
def pg_database(pg_reachable: None) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty PostgreSQL databases for one test; drops them afterwards."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"mlaudit_t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_database: Callable[[], str]) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return pg_database()


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'audit.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(name)


@pytest.fixture
def store(db_url: str) -> Iterator[AuditStore]:
    audit = AuditStore.open(db_url)
    yield audit
    audit.close()


class EventKit:
    """Builds valid OpenLineage RunEvents for tests, with deterministic ids."""

    SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    FACET_SCHEMA = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json"

    def run_id(self, name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-run:{name}"))

    def dataset(
        self, name: str, version: str | None = None, *, model: bool = False, **facets: dict
    ) -> dict:
        all_facets = dict(facets)
        if version is not None:
            all_facets["version"] = {
                "_producer": "https://test",
                "_schemaURL": self.FACET_SCHEMA,
                "datasetVersion": version,
            }
        if model:
            all_facets["datasetType"] = {
                "_producer": "https://test",
                "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/DatasetTypeDatasetFacet.json",
                "datasetType": "MODEL",
            }
        return {"namespace": "test", "name": name, "facets": all_facets}

    def event(
        self,
        run: str,
        job: str,
        *,
        time: str,
        inputs: list[dict] | None = None,
        outputs: list[dict] | None = None,
        event_type: str = "COMPLETE",
        actor: str | None = None,
        **run_facets: dict,
    ) -> dict:
        facets = dict(run_facets)
        if actor:
            facets["mlaudit_actor"] = self.facet("ActorRunFacet", name=actor, kind="user")
        return {
            "eventType": event_type,
            "eventTime": time,
            "producer": "https://test/producer",
            "schemaURL": self.SCHEMA,
            "run": {"runId": self.run_id(run), "facets": facets},
            "job": {"namespace": "test", "name": job},
            "inputs": inputs or [],
            "outputs": outputs or [],
        }

    def facet(self, facet_name: str, /, **fields: object) -> dict:
        from lineage.facets import schema_url

        return {"_producer": "https://test", "_schemaURL": schema_url(facet_name), **fields}


@pytest.fixture
def kit() -> EventKit:
    return EventKit()
