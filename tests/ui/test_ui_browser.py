"""The app in a real browser: `streamlit run` as `mlaudit ui` starts it, headless Chromium.

An auditor signs in, traces the model serving in production back to its raw file (scikit-learn's
breast_cancer.csv), looks at every page, downloads the evidence report and opens a finding; a
viewer then sees the same trace without personal data. The findings are real rows recorded
through `record_findings` from drafts the UI tests build (the reviews land in parallel). Each
page is saved as a screenshot in test-artifacts/screenshots/ (and docs/screenshots/ when
UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ui_findings import REVIEWER, drafts
from ui_seed import PASSWORD, Seeded, copy_database

from lineage.findings import record_findings
from lineage.keys import KeyStore
from lineage.store import AuditStore
from ui.cli import streamlit_command

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 1440


def _require_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[dev]')"
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the browser test must run in CI: {problem}")
    pytest.skip(problem)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()
    home = tmp_path_factory.mktemp("browser")
    database = copy_database(seeded.database, home / "audit.db")
    record_review_findings(f"sqlite:///{database}", seeded.keys)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MLAUDIT_")},
        "MLAUDIT_HOME": str(home),
        "MLAUDIT_DATABASE_URL": f"sqlite:///{database}",
        "MLAUDIT_KEYS_DIR": str(seeded.keys),
    }
    port = _free_port()
    log = open(home / "streamlit.log", "w")  # noqa: SIM115 - closed after the server stops
    process = subprocess.Popen(
        streamlit_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process, home / "streamlit.log")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def record_review_findings(url: str, keys: Path) -> None:
    store = AuditStore.open(url, keys=KeyStore(keys))
    record_findings(store, drafts(store), review="tests", principal=REVIEWER)
    store.close()


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy: {log.read_text()[-2000:]}")


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script (its status widget is gone)."""
    page.wait_for_timeout(250)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
    page.wait_for_timeout(400)


def shoot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """A screenshot of the whole page (Streamlit scrolls inside its main section)."""
    settle(page)
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": max(900, height + 40)})
    settle(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / path.name)
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    return path


def sign_in(page, base: str, user: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base)
    page.get_by_role("textbox", name="User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()
    settle(page)


def open_page(page, title: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).first.wait_for()
    settle(page)


def search(page, label: str, text: str) -> None:  # type: ignore[no-untyped-def]
    box = page.get_by_role("textbox", name=label)
    box.fill(text)
    box.press("Enter")
    settle(page)


def choose(page, label: str, option_text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).click()
    page.get_by_role("option").filter(has_text=option_text).first.click()
    settle(page)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


def test_an_auditor_traces_production_back_to_the_raw_file(  # type: ignore[no-untyped-def]
    server,
    browser,
    deployed_version,
) -> None:
    page = browser.new_page(viewport={"width": WIDTH, "height": 1000}, accept_downloads=True)
    page.set_default_timeout(30_000)
    page.goto(server)
    page.get_by_role("heading", name="Sign in").wait_for()
    shoot(page, "01-sign-in")
    sign_in(page, server, "aud")
    page.get_by_text("Verified:").wait_for()
    shoot(page, "02-overview")

    open_page(page, "Trace")
    graph = page.locator('[data-testid="stMain"] [data-testid="stGraphVizChart"] svg')
    graph.wait_for()
    assert "breast_cancer.csv" in graph.text_content()
    page.get_by_text("This version is live now in production").wait_for()
    choose(page, "Node", "breast_cancer.csv")
    page.get_by_text("file:///").first.wait_for()  # the raw file's details
    assert deployed_version in page.locator('[data-testid="stMain"]').inner_text()
    shoot(page, "03-trace")

    open_page(page, "Impact")
    search(page, "Search datasets", "breast_cancer.csv")
    page.get_by_text("1 live deployment depends").wait_for()
    shoot(page, "04-impact")

    open_page(page, "Dataset history")
    search(page, "Search datasets and models", "raw_breast")
    page.get_by_text("Deleted 20").wait_for()
    shoot(page, "05-dataset-history")

    open_page(page, "Model timeline")
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    shoot(page, "06-model-timeline")

    open_page(page, "User activity")
    search(page, "Person or service", "alice")
    page.get_by_role("button", name="Reveal identity").click()
    settle(page)
    page.get_by_text("Identity behind").wait_for()
    shoot(page, "07-user-activity")

    open_page(page, "Audit log")
    page.get_by_role("button", name="Next →").wait_for()
    shoot(page, "08-audit-log")

    open_page(page, "Evidence pack")
    page.get_by_text("verify against signed tree head").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download report (HTML)").click()
    report = ARTIFACTS.parent / "evidence-report.html"
    download.value.save_as(report)
    assert "entries verify against the signed head" in report.read_text()
    shoot(page, "09-evidence-pack")

    open_page(page, "Findings")
    choose(page, "Open a finding", "nobody evaluated")
    page.get_by_text("Status history").wait_for()
    assert "no evaluation run read" in page.locator('[data-testid="stMain"]').inner_text()
    shoot(page, "findings")
    page.close()


def test_a_viewer_sees_the_trace_without_personal_data(server, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
    page.set_default_timeout(30_000)
    sign_in(page, server, "vic")
    open_page(page, "Trace")
    page.locator('[data-testid="stMain"] [data-testid="stGraphVizChart"] svg').wait_for()
    assert "psn:" not in page.locator('[data-testid="stMain"]').inner_text()
    assert page.get_by_role("link", name="Audit log").count() == 0
    shoot(page, "10-viewer-trace")
    page.close()
