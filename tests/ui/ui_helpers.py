"""Helpers of the app's tests: reading a page like a person would, and reading the log back."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest
from ui_seed import ACCOUNTS

from lineage.authz import Principal
from lineage.facets import PRODUCER, schema_url
from lineage.store import AuditStore
from lineage.timeutil import now_store_time

MODEL = "breast_cancer_model"


APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"


def store_for_app(folder: Path, monkeypatch: Any) -> AuditStore:
    """A store of its own in `folder`, the one the app opens (its home and URL in the env)."""
    url = f"sqlite:///{folder / 'audit.db'}"
    monkeypatch.setenv("MLAUDIT_HOME", str(folder))
    monkeypatch.setenv("MLAUDIT_DATABASE_URL", url)
    return AuditStore.open(url)


def forget_stores() -> None:
    """Drop the app's cached stores and results (the integrity status is kept per store)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def app_as(name: str) -> AppTest:
    """The app's landing page (the Overview) run once for `name`, signed in."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["mlaudit_principal"] = principal(name)
    at.session_state["mlaudit_last_seen"] = time.monotonic()
    at.run()
    assert not at.exception, at.exception
    return at


def principal(name: str) -> Principal:
    role, projects = ACCOUNTS[name]
    return Principal(name=name, roles=(role,), kind="user", projects=projects)


def user_actions(store: AuditStore, action_prefix: str = "") -> list[dict]:
    """The user-action facets in the log (oldest first), optionally only some actions."""
    found = []
    for entry in store.entries():
        facet = entry["event"]["run"]["facets"].get("mlaudit_user_action")
        if facet and facet["action"].startswith(action_prefix):
            found.append({**facet, "actor": entry["actor"], "seq": entry["seq"]})
    return found


def page_text(at: AppTest) -> str:
    """Everything a person could read on the page: texts, tables, options, the graph."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "text",
        "code",
        "info",
        "warning",
        "error",
        "success",
        "json",
        "exception",
    ):
        parts += [str(el.value) for el in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    for box in at.selectbox:
        parts += [str(o) for o in box.options]
    parts += [el.proto.spec for el in at.main.get("graphviz_chart")]
    return "\n".join(parts)


def dot_of(at: AppTest) -> str:
    charts = at.main.get("graphviz_chart")
    assert charts, "no graph on the page"
    return charts[0].proto.spec


def live_version(store: AuditStore) -> str:
    """The model version production serves in this copy of the seeded store."""
    from audit_pipelines.demo import trace_deployed

    return str(trace_deployed(store)["model"]["version"])


def re_evaluation(model_version: str) -> dict[str, Any]:
    """A new evaluation of the deployed version: an entry of its trace, after the last head."""
    facet = {
        "_producer": PRODUCER,
        "_schemaURL": schema_url("EvaluationRunFacet"),
        "model": {"namespace": "dagster", "name": MODEL, "version": model_version},
        "metrics": {"accuracy": 0.95},
        "checks": [],
    }
    return {
        "eventType": "COMPLETE",
        "eventTime": now_store_time(),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4()), "facets": {"mlaudit_evaluation": facet}},
        "job": {"namespace": "tests", "name": "re_evaluation"},
        "inputs": [],
        "outputs": [],
    }
