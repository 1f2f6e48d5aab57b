"""A signed report fails verification, naming why, when one byte of it changes: the body, the
signature, the JSON embedded in the HTML page, the page's visible text; or under another key,
or against another log. On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from scenario import ml_history

from lineage.authz import Principal
from lineage.merkle.heads import public_key_hex, trusted_keys
from lineage.report import IssuedReport, ReportFileError, issue_report, verify_report, verify_text
from lineage.store import AuditStore

AUDITOR = Principal(name="aud", roles=("auditor",), kind="user")


@pytest.fixture
def issued(store: AuditStore, kit, tmp_path: Path) -> IssuedReport:  # type: ignore[no-untyped-def]
    store.ingest(ml_history(kit))
    return issue_report(store, "2026-01-01", "2026-01-05", AUDITOR, tmp_path)


@pytest.fixture
def pinned(store: AuditStore) -> str:
    return public_key_hex(next(iter(trusted_keys(store.keys).values())))


def test_an_intact_report_verifies_under_the_pinned_key(issued, pinned, store) -> None:  # type: ignore[no-untyped-def]
    check = verify_report(issued.envelope, pinned, store)
    assert check.ok and check.head_in_log and check.sha256 == issued.sha256, check.failures
    assert check.under.startswith("signature checked under the pinned key")
    assert verify_text(issued.html_path.read_text(), html=True, public_key=pinned).ok


def test_one_byte_of_the_body(issued, pinned) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(issued.envelope)
    doc["body"]["activity"]["entries"] += 1
    failures = verify_report(doc, pinned).failures
    assert "the body was changed after signing: its sha256 differs from the signed one" in failures
    assert "the signature does not verify over the body" in failures


def test_the_signature(issued, pinned) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(issued.envelope)
    doc["signature"] = ("0" if doc["signature"][0] != "0" else "1") + doc["signature"][1:]
    assert verify_report(doc, pinned).failures == ["the signature does not verify over the body"]


def test_the_json_embedded_in_the_page(issued, pinned) -> None:  # type: ignore[no-untyped-def]
    page = issued.html_path.read_text()
    head, script = page.split('<script type="application/json"', 1)
    assert '"algorithm": "random_forest"' in script
    forged = (
        head
        + '<script type="application/json"'
        + script.replace('"algorithm": "random_forest"', '"algorithm": "random_forust"')
    )
    check = verify_text(forged, html=True, public_key=pinned)
    assert not check.ok and "sha256 differs" in check.failures[0]


def test_the_visible_text_of_the_page(issued, pinned) -> None:  # type: ignore[no-untyped-def]
    page = issued.html_path.read_text()
    forged = page.replace("<td>random_forest</td>", "<td>gradient_boosting</td>", 1)
    assert forged != page
    check = verify_text(forged, html=True, public_key=pinned)
    assert check.failures == [
        "the page's visible content differs from the page of the signed report"
    ]


def test_the_tree_head_it_names(issued, pinned) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(issued.envelope)
    doc["tree_head"]["tree_size"] -= 1
    failures = verify_report(doc, pinned).failures
    assert failures == ["the envelope's tree head is not the one the body was built against"]


def test_another_key(issued) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = public_key_hex(Ed25519PrivateKey.generate().public_key())
    failures = verify_report(issued.envelope, other).failures
    assert any(f.endswith(f"not the pinned key {other[:16]}") for f in failures)
    assert "the signature does not verify over the body" in failures


def test_another_log(issued, sqlite_url, kit) -> None:  # type: ignore[no-untyped-def]
    other = AuditStore.open(sqlite_url.replace("audit.db", "other.db"))
    other.ingest(ml_history(kit)[:3])
    check = verify_report(issued.envelope, None, other)
    other.close()
    assert not check.ok and check.head_in_log is False
    assert check.failures[0].endswith("is not a signed head of this log")


@pytest.mark.parametrize(
    ("text", "html", "message"),
    [
        ("{", False, "not JSON"),
        ("[]", False, "the JSON is not an object"),
        ("<html></html>", True, "expected one embedded report"),
    ],
)
def test_files_that_are_not_reports(text: str, html: bool, message: str) -> None:
    with pytest.raises(ReportFileError, match=message):
        verify_text(text, html=html)


def test_a_json_that_is_not_a_signed_report() -> None:
    check = verify_text(json.dumps({"format": "something else"}), html=False)
    assert check.failures == ["not a signed compliance report (format 'something else')"]


def test_a_report_file_that_cannot_be_read_is_named_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lineage.report import verify_file

    missing = tmp_path / "report.json"
    with pytest.raises(ReportFileError) as refused:
        verify_file(missing)
    assert str(refused.value) == f"{missing}: cannot read: No such file or directory"
    missing.write_text("[1, 2]")
    with pytest.raises(ReportFileError) as refused:
        verify_file(missing)
    assert (
        str(refused.value)
        == f"{missing}: not a signed compliance report: the JSON is not an object"
    )
