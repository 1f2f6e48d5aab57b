"""Every page for every role, on the real demo history: what each role sees, and what it cannot.

admin and auditor read everything (the auditor may also reveal identities); the ml_engineer reads
lineage within its projects; the viewer reads lineage without any personal data, not even
pseudonyms. Signed out, only the sign-in form exists.
"""

from __future__ import annotations

from functools import partial

import pytest
from streamlit.testing.v1 import AppTest
from ui_helpers import dot_of, page_text

LINEAGE = ["overview", "trace", "impact", "history", "timeline"]
AUDIT = ["activity", "audit_log", "evidence"]
REVIEW = ["findings", "reports"]
TITLES = {
    "overview": "Overview",
    "trace": "Trace",
    "impact": "Impact",
    "history": "Dataset history",
    "timeline": "Model timeline",
    "activity": "User activity",
    "audit_log": "Audit log",
    "evidence": "Evidence pack",
    "findings": "Findings",
    "reports": "Compliance reports",
}
ALLOWED = {
    "ada": LINEAGE + AUDIT + REVIEW,
    "aud": LINEAGE + AUDIT + REVIEW,
    "eng": LINEAGE,
    "vic": LINEAGE,
}


def visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, f"{page}: {at.exception}"
    assert [t.value for t in at.title] == [TITLES[page]]
    return at


def search(at: AppTest, key: str, text: str) -> AppTest:
    at.text_input(key=f"{key}_search").input(text).run()
    assert not at.exception, at.exception
    return at


def check_overview(at: AppTest, name: str) -> None:
    assert any("Verified" in s.value for s in at.success)
    headings = [h.value for h in at.subheader]
    assert ("Latest events" in headings) == (name in ("ada", "aud"))
    # Log-wide counts only for roles not limited to projects.
    assert ("Activity by category" in headings) == (name != "eng")


def check_trace(at: AppTest, name: str, version: str) -> None:
    dot = dot_of(at)
    assert "breast_cancer.csv" in dot and version in dot
    assert any("live now in production" in s.value for s in at.success)
    assert ("psn:" in dot) == (name != "vic")
    assert any("cannot be clicked" in c.value for c in at.caption)
    node = next(s for s in at.selectbox if s.label == "Node")
    run = next(i for i, o in enumerate(node.options) if o.startswith("run: breast_cancer_model"))
    node.select_index(run).run()
    assert any("Hyperparameters" in m.value for m in at.markdown), "the run's details"


def check_impact(at: AppTest, name: str) -> None:
    search(at, "impact", "breast_cancer.csv")
    if name == "eng":  # the raw file is outside the engineer's project (dagster/*)
        assert any("within your projects" in i.value for i in at.info)
        search(at, "impact", "raw_breast")
    assert any("1 live deployment depends" in e.value for e in at.error)
    headings = [h.value for h in at.subheader]
    assert "Models trained on it" in headings and "Affected versions, nearest first" in headings
    assert any(c.value.startswith("Versions 1-") for c in at.caption)


def check_history(at: AppTest, name: str) -> None:
    search(at, "history", "raw_breast")
    actions = at.dataframe[0].value["action"].tolist()
    assert actions == ["delete", "read", "modify", "read", "create"]
    assert any("Deleted" in w.value for w in at.warning)


def check_timeline(at: AppTest, name: str) -> None:
    versions = at.dataframe[0].value
    assert set(versions["algorithm"]) == {"logistic_regression", "random_forest"}
    compare = at.dataframe[1].value
    assert "hyperparameter n_estimators" in compare["aspect"].tolist()
    deployments = at.dataframe[-1].value
    assert deployments["action"].tolist() == ["rollback", "update", "deploy"]


def check_activity(at: AppTest, name: str) -> None:
    assert not at.dataframe, "nobody's activity is shown before someone is chosen"
    at.selectbox(key="activity_pick").select_index(0).run()
    assert at.dataframe, "the chosen actor's entries"
    reveal = [b for b in at.button if b.label == "Reveal identity"]
    assert bool(reveal) == (name == "aud"), "only roles with the reveal permission may reveal"


def check_audit_log(at: AppTest, name: str) -> None:
    assert len(at.dataframe[0].value) == 50
    assert any(b.label == "Next →" and not b.disabled for b in at.button)


def check_evidence(at: AppTest, name: str) -> None:
    assert any("verify against signed tree head" in s.value for s in at.success)
    assert [d.label for d in at.download_button] == [
        "Download report (HTML)",
        "Download pack (JSON)",
    ]


def check_findings(at: AppTest, name: str) -> None:
    labels = [m.label for m in at.metric]
    assert labels == [
        "Critical",
        "High",
        "Medium",
        "Low",
        "Info",
        "Open",
        "Acknowledged",
        "Resolved",
    ]
    assert at.dataframe or any("No finding matches" in i.value for i in at.info)


def check_reports(at: AppTest, name: str) -> None:
    assert any("Signed reports per period" in c.value for c in at.caption)
    assert at.dataframe or any("No compliance report" in i.value for i in at.info)


CHECKS = {
    "overview": check_overview,
    "trace": check_trace,
    "impact": check_impact,
    "history": check_history,
    "timeline": check_timeline,
    "activity": check_activity,
    "audit_log": check_audit_log,
    "evidence": check_evidence,
    "findings": check_findings,
    "reports": check_reports,
}


@pytest.mark.parametrize("name", ["ada", "aud", "eng", "vic"])
def test_each_role_sees_its_pages_and_only_them(app, name: str, deployed_version: str) -> None:  # type: ignore[no-untyped-def]
    at = app(name)
    checks = {**CHECKS, "trace": partial(check_trace, version=deployed_version)}
    assert not at.exception, at.exception
    for page in ALLOWED[name]:
        checks[page](visit(at, page), name)
        if name == "vic":
            assert "psn:" not in page_text(at), f"a pseudonym reached the viewer on {page}"
    for page in set(TITLES) - set(ALLOWED[name]):
        with pytest.raises(ValueError, match="registered"):
            at.switch_page(f"app_pages/{page}.py")


def test_signed_out_sees_only_the_sign_in_form(app) -> None:  # type: ignore[no-untyped-def]
    at = app()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["mlaudit"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    for page in TITLES:
        with pytest.raises(ValueError, match="registered"):
            at.switch_page(f"app_pages/{page}.py")


def _graph_element(at: AppTest) -> str:
    (chart,) = at.main.get("graphviz_chart")
    return chart.proto.element_id


def test_each_new_graph_is_drawn_at_a_place_of_its_own(app) -> None:  # type: ignore[no-untyped-def]
    """The browser drew a graph slowly where the previous one had been (ui/app_pages/trace.py,
    graph_place); the same graph keeps its place across reruns."""
    at = visit(app("ada"), "trace")
    first = _graph_element(at)
    assert _graph_element(at.run()) == first
    people = next(t for t in at.toggle if t.label == "People in the graph")
    people.set_value(False).run()
    without = _graph_element(at)
    assert without != first
    next(t for t in at.toggle if t.label == "People in the graph").set_value(True).run()
    assert _graph_element(at) != without
