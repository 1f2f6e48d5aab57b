"""App figure: how long the Trace page takes to draw a deep model's graph, in headless Chromium.

    .venv/bin/python bench/app_trace.py [--size small|medium|full] [--models 5]

Loads the generator's lineage at the size into a fresh SQLite store, serves the app with
`streamlit run` as `mlaudit ui` does, signs in as an auditor, and for the deepest models of the
generator's bookkeeping (a different model each time, so no cache helps) times the Trace page
from submitting the model's name in its search box to the graph's SVG being on screen. Needs
/usr/bin/chromium (`make system-deps`).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, Result, figure, fresh_database, own_keys, percentile
from bench.generator import SIZES, LineageGenerator
from bench.targets import ModelVersion
from lineage.accounts.service import add_user
from lineage.cli.session import LOCAL_OPERATOR
from lineage.store import AuditStore
from ui.cli import streamlit_command

CHROMIUM = Path("/usr/bin/chromium")
USER, PASSWORD = "bench-auditor", "bench-auditor-password"
TARGET_S = 2.0
BATCH = 1000
# The page's graph (the sidebar holds a hidden one that loads the renderer: ui/components/renderer)
GRAPH = '[data-testid="stMain"] [data-testid="stGraphVizChart"] svg'
# Graphviz names each node's group by a <title> holding its id; a model version's id starts
# with "namespace/name@" (ui/components/graph.py).
NODE_TITLE = "g.node > title"


def load(url: str, size: str) -> list[ModelVersion]:
    """Ingest the generated lineage; the deep model versions it tracked, deepest first."""
    generator = LineageGenerator(SIZES[size], seed=7)
    store = AuditStore.open(url)
    for batch in generator.batches(BATCH):
        store.ingest(batch)
    add_user(store, LOCAL_OPERATOR, USER, ["admin", "auditor"], password=PASSWORD)
    store.close()
    return sorted(generator.targets.model_versions, key=lambda m: -m.depth)


@contextmanager
def app(url: str) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "MLAUDIT_DATABASE_URL": url}
    log = Path(url.removeprefix("sqlite:///")).with_name("streamlit.log")
    with log.open("w") as out:
        process = subprocess.Popen(
            streamlit_command(port), cwd=ROOT, env=env, stdout=out, stderr=out
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, process)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def time_traces(base: str, models: list[ModelVersion]) -> list[float]:
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        _sign_in(page, base)
        for model in models:
            page.get_by_role("link", name="Trace").click()
            page.get_by_role("heading", name="Trace").first.wait_for()
            _settle(page)
            timings.append(_trace_once(page, model))
        browser.close()
    return timings


def _trace_once(page: Any, model: ModelVersion) -> float:
    """Seconds from submitting the model's name to its headline and its own graph being on
    screen. The page can still show the previous model's graph when the new headline arrives
    (Streamlit keeps an element until the run replaces it), so the graph awaited is the one
    holding this model's node, not any graph."""
    box = page.get_by_role("textbox", name="Search models")
    box.fill(f"{model.namespace}/{model.name}")
    started = time.perf_counter()
    box.press("Enter")
    try:
        heading = page.get_by_role("heading", name=f"{model.namespace}/{model.name} @")
        heading.wait_for(state="visible")
        model_graph(page, model).wait_for(state="visible")
    except Exception:
        page.screenshot(path="/tmp/app_trace_failure.png", full_page=True)
        raise
    elapsed = time.perf_counter() - started
    _settle(page)
    return elapsed


def model_graph(page: Any, model: ModelVersion) -> Any:
    """The page's graph that holds a node of `model` (any version)."""
    node = page.locator(NODE_TITLE, has_text=f"{model.namespace}/{model.name}@")
    return page.locator(GRAPH).filter(has=node)


def _sign_in(page: Any, base: str) -> None:
    page.goto(base)
    page.get_by_role("textbox", name="User name").fill(USER)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()
    _settle(page)


def _settle(page: Any) -> None:
    page.wait_for_timeout(250)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=120_000)


def _wait_healthy(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("streamlit did not become healthy within 90 s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(size: str, count: int) -> Result:
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} not found: run `make system-deps` first")
    result = Result("app", size, "sqlite")
    with fresh_database("sqlite") as url, own_keys():
        models = _distinct(load(url, size))[:count]
        with app(url) as base:
            # The first model is traced again at the end, outside the figures: the app has its
            # answer cached by then, so the pair tells the query and the cold start from
            # drawing that graph in the browser.
            *timings, again = time_traces(base, [*models, models[0]])
    depths = ", ".join(str(m.depth) for m in models)
    each = ", ".join(f"{t:.2f}" for t in timings)
    note = (
        f"{len(models)} models, depths {depths}; search submitted -> graph on screen; "
        f"each in order (s): {each}; the first model again (answer cached): {again:.2f}"
    )
    result.add(
        figure(
            "app: trace graph shown, median",
            [percentile(timings, 0.5)],
            "s",
            ("<=", TARGET_S),
            note,
        ),
        figure("app: trace graph shown, max", [max(timings)], "s", ("<=", TARGET_S), note),
    )
    return result


def _distinct(models: list[ModelVersion]) -> list[ModelVersion]:
    seen: dict[tuple[str, str], ModelVersion] = {}
    for model in models:
        seen.setdefault((model.namespace, model.name), model)
    return list(seen.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--models", type=int, default=5)
    args = parser.parse_args()
    result = measure(args.size, args.models)
    result.save_and_show()


if __name__ == "__main__":
    main()
