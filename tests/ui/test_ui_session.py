"""Signing in and out, what gets recorded, and how failures read: the app's audit obligations."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_helpers import dot_of, re_evaluation, user_actions
from ui_seed import PASSWORD

from lineage.accounts.service import add_user, remove_user
from lineage.cli.session import LOCAL_OPERATOR
from lineage.privacy import pseudonym_for

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


def sign_in(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input[0].input(user)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_a_store_without_accounts_still_requires_sign_in(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MLAUDIT_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, at.exception
    assert any("no accounts yet" in w.value for w in at.warning)
    assert [c.value for c in at.code] == ["mlaudit users add NAME --role admin"]
    assert at.button[0].disabled, "nobody can sign in, and nothing opens anonymously"
    assert [t.value for t in at.title] == ["mlaudit"]


@pytest.mark.parametrize("name", ["ada", "aud", "eng", "vic"])
def test_sign_in_opens_the_overview_and_is_recorded(app, ui_store, name: str) -> None:  # type: ignore[no-untyped-def]
    at = sign_in(app(), name, PASSWORD)
    assert [t.value for t in at.title] == ["Overview"]
    logins = user_actions(ui_store, "ui.login")
    me = pseudonym_for(name, ui_store.keys.pseudonym_key())
    assert [(a["actor"], a["target"]["name"]) for a in logins] == [(me, me)]


def test_a_wrong_password_is_refused_clearly_and_recorded(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    at = sign_in(app(), "aud", "not the password")
    assert [e.value for e in at.error] == [
        "Wrong user name or password. The failed attempt was recorded in the audit log."
    ]
    assert [t.value for t in at.title] == ["mlaudit"]
    failed = user_actions(ui_store, "login.failed")
    assert [a["outcome"] for a in failed] == ["failed"]


def test_sign_out_ends_the_session_and_is_recorded(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    at = app("aud")
    at.sidebar.button[0].click().run()
    assert [t.value for t in at.title] == ["mlaudit"]
    assert any("signed out" in i.value for i in at.info)
    assert [a["action"] for a in user_actions(ui_store, "ui.log")] == ["ui.logout"]


def test_a_removed_account_loses_its_open_session(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st

    at = app("vic")
    remove_user(ui_store, LOCAL_OPERATOR, "vic")
    st.cache_data.clear()  # the app re-reads accounts at most 30 s later; do not wait here
    at.run()
    assert [t.value for t in at.title] == ["mlaudit"]
    assert any("no longer active" in i.value for i in at.info)


def test_an_idle_session_signs_itself_out(app) -> None:  # type: ignore[no-untyped-def]
    at = app("aud")
    at.session_state["mlaudit_last_seen"] = time.monotonic() - 31 * 60
    at.run()
    assert [t.value for t in at.title] == ["mlaudit"]
    assert any("without activity" in i.value for i in at.info)


def test_views_are_recorded_once_per_visit_and_per_parameter_change(  # type: ignore[no-untyped-def]
    app,
    ui_store,
    deployed_version,
) -> None:
    at = app("aud")
    at.switch_page("app_pages/trace.py").run()
    at.run()
    at.run()  # reruns of the same view record nothing more
    views = user_actions(ui_store, "ui.view.trace")
    assert len(views) == 1
    assert views[0]["details"] == {"version": deployed_version}
    asof = next(s for s in at.selectbox if s.label == "As of (UTC)")
    asof.select_index(2).run()  # the moment the update to the second version went live
    assert len(user_actions(ui_store, "ui.view.trace")) == 2
    at.switch_page("app_pages/overview.py").run()
    at.switch_page("app_pages/trace.py").run()  # a new visit
    assert len(user_actions(ui_store, "ui.view.trace")) == 3


def test_as_of_shows_the_lineage_and_deployment_of_that_moment(app, deployed_version) -> None:  # type: ignore[no-untyped-def]
    at = app("aud")
    at.switch_page("app_pages/trace.py").run()
    asof = next(s for s in at.selectbox if s.label == "As of (UTC)")
    update = next(i for i, o in enumerate(asof.options) if "update" in o)
    asof.select_index(update).run()
    assert not at.exception, at.exception
    dot = dot_of(at)
    assert deployed_version not in dot, "right after the update, the second version was live"
    assert "production · update" in dot and "rollback" not in dot
    assert any("live as of" in s.value for s in at.success)


def test_a_reveal_is_an_explicit_recorded_act(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    at = app("aud")
    at.switch_page("app_pages/activity.py").run()
    at.text_input(key="activity_who").input("alice").run()
    alice = pseudonym_for("alice", ui_store.keys.pseudonym_key())
    assert at.subheader[0].value == alice
    assert "alice" not in "".join(w.value for w in at.warning), "nothing revealed before asking"
    assert user_actions(ui_store, "identity.reveal") == []
    next(b for b in at.button if b.label == "Reveal identity").click().run()
    assert any("**alice**" in w.value for w in at.warning)
    reveals = user_actions(ui_store, "identity.reveal")
    assert [r["target"] for r in reveals] == [{"kind": "pseudonym", "name": alice}]
    views = user_actions(ui_store, "ui.view.activity")
    assert views[-1]["target"]["name"] == alice, "a typed name is recorded as its pseudonym only"


def test_an_export_is_recorded(app, ui_store, deployed_version) -> None:  # type: ignore[no-untyped-def]
    at = app("aud")
    at.switch_page("app_pages/evidence.py").run()
    at.download_button[0].click().run()
    exports = user_actions(ui_store, "ui.export.evidence")
    assert [(e["details"]["format"], e["details"]["version"]) for e in exports] == [
        ("html", deployed_version)
    ]


def test_an_engineer_reads_only_its_projects(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    add_user(ui_store, LOCAL_OPERATOR, "outsider", ["ml_engineer"], projects=["other/*"])
    at = AppTest.from_file(APP, default_timeout=30)
    from lineage.authz import Principal

    at.session_state["mlaudit_principal"] = Principal("outsider", ("ml_engineer",))
    at.session_state["mlaudit_last_seen"] = time.monotonic()
    at.run()
    at.switch_page("app_pages/trace.py").run()
    assert any("No models yet within your projects" in i.value for i in at.info)
    assert not at.main.get("graphviz_chart")


def test_an_unknown_model_reads_as_a_message(app) -> None:  # type: ignore[no-untyped-def]
    at = app("aud")
    at.switch_page("app_pages/trace.py").run()
    at.text_input(key="trace_search").input("no_such_model").run()
    assert [i.value for i in at.info] == ["No model matches 'no_such_model'."]
    assert not at.exception


def test_an_unreachable_database_reads_as_a_message(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MLAUDIT_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/nowhere")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, at.exception
    assert len(at.error) == 1
    assert "cannot be reached" in at.error[0].value
    assert "127.0.0.1:9/nowhere" in at.error[0].value


def test_a_tampered_log_shows_as_failed_on_the_overview(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with ui_store.engine.begin() as conn:  # an attacker with database access edits an entry
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(
            text(
                "UPDATE audit_log SET payload = replace(payload, 'COMPLETE', 'ABORT') WHERE seq = 5"
            )
        )
    at = app("aud")
    failed = [e.value for e in at.error]
    assert len(failed) == 1 and failed[0].startswith("Verification FAILED"), failed
    assert "**chain**" in failed[0] and "entry seq 5" in failed[0]
    assert not at.success


def test_an_admin_can_sign_a_head_when_the_pack_is_not_yet_covered(  # type: ignore[no-untyped-def]
    app,
    ui_store,
    deployed_version,
) -> None:
    ui_store.ingest([re_evaluation(deployed_version)])
    at = app("ada")
    at.switch_page("app_pages/evidence.py").run()
    assert any("not fully verifiable" in w.value for w in at.warning)
    next(b for b in at.button if b.label == "Sign a tree head now").click().run()
    assert not at.exception, at.exception
    assert any("verify against signed tree head #2" in s.value for s in at.success)
    assert [a["action"] for a in user_actions(ui_store, "log.checkpoint")] == ["log.checkpoint"]


def test_an_auditor_cannot_sign_heads(app, ui_store, deployed_version) -> None:  # type: ignore[no-untyped-def]
    ui_store.ingest([re_evaluation(deployed_version)])
    at = app("aud")
    at.switch_page("app_pages/evidence.py").run()
    assert not [b for b in at.button if b.label == "Sign a tree head now"]
    assert any("administrator can sign" in c.value for c in at.caption)


def test_a_role_without_pages_is_told_so(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    from lineage.authz import Principal

    add_user(ui_store, LOCAL_OPERATOR, "robot", ["producer"])
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["mlaudit_principal"] = Principal("robot", ("producer",))
    at.session_state["mlaudit_last_seen"] = time.monotonic()
    at.run()
    assert [t.value for t in at.title] == ["No pages for your role"]


def test_names_typed_into_filters_reach_the_log_only_as_pseudonyms(app, ui_store) -> None:  # type: ignore[no-untyped-def]
    at = app("ada")  # an admin: may read the log, may not reveal
    at.switch_page("app_pages/audit_log.py").run()
    at.text_input(key="log_actor").input("alice").run()
    assert any("No entry matches" in i.value for i in at.info), "names do not find people"
    at.switch_page("app_pages/activity.py").run()
    at.text_input(key="activity_who").input("alice").run()
    alice = pseudonym_for("alice", ui_store.keys.pseudonym_key())
    assert user_actions(ui_store, "ui.view.events")[-1]["details"]["actor"] == alice
    assert user_actions(ui_store, "ui.view.activity")[-1]["target"]["name"] == alice
    assert not any('"alice"' in e["payload"] for e in ui_store.entries())


def test_signed_in_pages_load_the_graph_renderer_out_of_sight(app) -> None:  # type: ignore[no-untyped-def]
    from ui.components.renderer import EMPTY_GRAPH

    assert not app().sidebar.get("graphviz_chart"), "the sign-in page draws nothing"
    at = app("vic")
    assert [c.proto.spec for c in at.sidebar.get("graphviz_chart")] == [EMPTY_GRAPH]
    assert not at.main.get("graphviz_chart"), "the overview itself draws no graph"
