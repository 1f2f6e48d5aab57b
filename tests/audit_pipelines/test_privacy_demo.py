"""No plaintext identity anywhere in the audit store after the real demo plus other producers.

Seeds events from other producers (owners in `ownership` facets, emails in free-form facets,
Airflow owners, user tags, a submitter), runs the real demo (Dagster runs launched as alice, bob,
carol and dave), then scans every byte of the SQLite store (with its -wal and -shm files) and every
column of every table of the PostgreSQL store. Only the audit store is scanned: the Dagster
instance and the example project's files in the same home are Dagster's and hold the names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from audit_pipelines.demo import run_demo, trace_deployed
from lineage.privacy import pseudonym_for, reveal_identity
from lineage.settings import Settings
from lineage.store import AuditStore
from lineage.verify import verify_chain

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")
DEMO_USERS = ("alice", "bob", "carol", "dave")
SEEDED = (
    "Jane Doe",
    "jane.doe@example.org",
    "erin.owner@corp.example",
    "frank.maintainer",
    "grace@submitter.example",
    "heidi.tagger",
    "ivan.airflow",
    "judy.dataset",
    "kim@notify.example",
)
PLAINTEXTS = DEMO_USERS + SEEDED
OWNERSHIP = "https://openlineage.io/spec/facets/1-0-1/OwnershipDatasetFacet.json"


def owners(*names: str, url: str = OWNERSHIP) -> dict[str, Any]:
    facet = {"_producer": "https://airflow.example", "_schemaURL": url}
    return {**facet, "owners": [{"name": n, "type": "MAINTAINER"} for n in names]}


def other_producers(kit: Any) -> list[dict[str, Any]]:
    """Events as Airflow, a notebook or a catalog would send them, full of people."""
    run = kit.event(
        "airflow-run",
        "etl.load_customers",
        time="2026-01-01T00:00:00Z",
        inputs=[kit.dataset("crm.customers", "7", ownership=owners("Jane Doe"))],
        outputs=[kit.dataset("dw.customers", "8", ownership=owners("erin.owner@corp.example"))],
        notification={
            "_producer": "https://airflow.example",
            "_schemaURL": "https://airflow.example/Notification.json",
            "text": "failures go to Jane.Doe@example.org and KIM@notify.example",
        },
        tags={
            "_producer": "https://airflow.example",
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/TagsRunFacet.json",
            "tags": [{"key": "user", "value": "heidi.tagger"}],
        },
        airflow={
            "_producer": "https://airflow.example",
            "_schemaURL": "https://airflow.example/AirflowRunFacet.json",
            "dag": {"dag_id": "etl", "owner": "ivan.airflow"},
        },
    )
    job_owners = "https://openlineage.io/spec/facets/1-0-1/OwnershipJobFacet.json"
    run["job"]["facets"] = {"ownership": owners("user:frank.maintainer", url=job_owners)}
    dataset_event = {
        "eventTime": "2026-01-01T00:00:01Z",
        "producer": "https://catalog.example",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {
            "namespace": "dw",
            "name": "orders",
            "facets": {"ownership": owners("judy.dataset")},
        },
    }
    return [run, dataset_event]


def run_audited_demo(home: Path, kit: Any, monkeypatch: pytest.MonkeyPatch, url: str) -> dict:
    monkeypatch.setenv("MLAUDIT_HOME", str(home))
    monkeypatch.setenv("MLAUDIT_DATABASE_URL", url)
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))  # restored after the test
    monkeypatch.delenv("MLAUDIT_DAGSTER_STORAGE_URL", raising=False)
    settings = Settings.from_env()
    seeding = AuditStore.open(settings.database_url)
    seeding.ingest(other_producers(kit), submitter="grace@submitter.example")
    seeding.close()
    return run_demo(settings, as_json=True)


def hits(haystack: str) -> list[str]:
    lowered = haystack.casefold()
    return [p for p in PLAINTEXTS if p.casefold() in lowered]


def file_hits(data: bytes) -> list[str]:
    """`hits` in a database file, counting only text: a name among printable bytes.

    The files also hold binary (tree node hashes, ciphertexts, WAL frame checksums), where a
    three-letter name turns up by chance: in a 1 MB WAL of this demo, 1 of 300 arbitrary
    consonant triples did, and one run's WAL held 'bob', which nothing writes unhashed. Stored
    text (JSON, a column's value beside another) has printable bytes on one side at least;
    chance bytes rarely do (8 of them on either side: about 1 in 1,400)."""
    lowered = data.decode("latin-1").casefold()
    found = []
    for plain in PLAINTEXTS:
        needle = plain.casefold()
        starts = (m.start() for m in re.finditer(re.escape(needle), lowered))
        if any(_in_text(data, start, len(needle)) for start in starts):
            found.append(plain)
    return found


def _in_text(data: bytes, start: int, length: int, side: int = 8) -> bool:
    """Whether the bytes just before or just after a match are all printable ASCII (text)."""
    before, after = data[max(0, start - side) : start], data[start + length : start + length + side]
    return any(len(near) == side and all(32 <= b < 127 for b in near) for near in (before, after))


def check_pseudonymous_views(url: str, trace: dict) -> None:
    """The trace, the raw log as `mlaudit events --json` prints it, and reveal."""
    store = AuditStore.open(url)
    assert verify_chain(store.engine).ok
    key = store.keys.pseudonym_key()
    people = {pseudonym_for(n, key) for n in ("alice", "bob", "carol")}
    assert {a["actor"] for a in trace["actors"]} >= people
    assert hits(json.dumps(trace_deployed(store))) == []
    done = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "events", "--json", "--limit", "100000"],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == store.count_entries() > 40
    assert hits(done.stdout) == []
    assert pseudonym_for("dave", key) in done.stdout
    # Only a reveal turns a pseudonym back into the person.
    assert reveal_identity(store, pseudonym_for("dave", key)) == "dave"
    assert reveal_identity(store, pseudonym_for("jane doe", key)) == "Jane Doe"
    assert reveal_identity(store, pseudonym_for("frank.maintainer", key)) == "user:frank.maintainer"
    store.close()


def test_no_plaintext_in_the_sqlite_store_files(
    tmp_path: Path, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    db = home / "audit.db"
    trace = run_audited_demo(home, kit, monkeypatch, f"sqlite:///{db}")
    files = sorted(home.glob("audit.db*"))
    assert db in files
    found = {p.name: file_hits(p.read_bytes()) for p in files}
    assert found == {p.name: [] for p in files}
    check_pseudonymous_views(f"sqlite:///{db}", trace)


def all_column_text(url: str) -> dict[str, str]:
    """Every column of every table of the store, cast to text, one string per table.column."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    columns = (
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    )
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for table, column in conn.execute(text(columns)).all():
            rows = conn.execute(text(f'SELECT "{column}"::text FROM "{table}"')).scalars()
            found[f"{table}.{column}"] = "\n".join(r for r in rows if r is not None)
    engine.dispose()
    return found


@pytest.mark.slow
def test_no_plaintext_in_any_postgres_column(
    tmp_path: Path, kit: Any, monkeypatch: pytest.MonkeyPatch, pg_database: Callable[[], str]
) -> None:
    url = pg_database()
    trace = run_audited_demo(tmp_path / "home", kit, monkeypatch, url)
    columns = all_column_text(url)
    assert {"audit_log.payload", "privacy_vault.ciphertext", "actors.name"} <= set(columns)
    assert columns["audit_log.payload"] and columns["privacy_vault.ciphertext"]
    assert {name: hits(value) for name, value in columns.items() if hits(value)} == {}
    check_pseudonymous_views(url, trace)
