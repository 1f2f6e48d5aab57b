"""The integrity check run in a child process gives the report `verify` gives, on both databases."""

from __future__ import annotations

import pytest
from scenario import ml_history
from tamper import drop_guards, execute

from lineage.merkle.heads import sign_head
from lineage.verify import log_size, report_json, verify_log
from lineage.verify_process import VerifyProcessError, verify_in_child


@pytest.fixture
def filled(store, kit):  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    sign_head(store)
    return store


def test_a_clean_log_reports_as_in_process(filled, db_url: str) -> None:  # type: ignore[no-untyped-def]
    child = verify_in_child(db_url, filled.settings.keys_dir)
    here = report_json(verify_log(filled.engine, keys=filled.keys))
    assert child == here
    assert child["ok"] and child["entries"] == log_size(filled.engine) == 10
    assert child["heads"]["count"] == 1 and child["heads"]["latest_ok"]


def test_an_edited_entry_is_named(filled, db_url: str) -> None:  # type: ignore[no-untyped-def]
    drop_guards(filled.engine)
    execute(filled.engine, "UPDATE audit_log SET submitter = 'someone' WHERE seq = 6")
    report = verify_in_child(db_url, filled.settings.keys_dir)
    assert not report["ok"]
    assert {"check": "chain", "seq": 6, "kind": "edited"}.items() <= report["problems"][0].items()


def test_a_check_that_cannot_run_says_why(pg_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = pg_url.rsplit("/", 1)[0] + "/mlaudit_no_such_database"
    with pytest.raises(VerifyProcessError, match='database "mlaudit_no_such_database"'):
        verify_in_child(missing, tmp_path / "keys")
