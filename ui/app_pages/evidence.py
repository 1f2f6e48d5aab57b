"""Evidence pack: a model version's trace with the proofs a third party needs, as HTML and JSON."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lineage.authz import MAINTAIN, Principal, is_allowed
from lineage.merkle.heads import sign_head
from ui import data, session
from ui.components.feedback import guard
from ui.components.format import frame, label, version, when
from ui.components.pickers import dataset_picker, version_picker


def record_export(principal: Principal, resource: str, details: dict[str, Any]) -> None:
    """Download callback: every export is an audit event (recorded as the file leaves)."""
    session.record_action(
        principal, "ui.export.evidence", {"kind": "model", "name": resource}, details
    )


def status(pack: dict[str, Any], check: Any, principal: Principal) -> None:
    head = pack["head"]
    if check.ok:
        st.success(
            f"All {check.proven} log entries behind this trace verify against signed tree "
            f"head #{head['id']} ({head['tree_size']:,} entries, signed "
            f"{when(head['timestamp'])} UTC).",
            icon=":material/verified:",
        )
    else:
        st.warning(
            "This pack is not fully verifiable yet:\n"
            + "\n".join(f"- {f}" for f in check.failures[:5])
        )
        if is_allowed(principal, MAINTAIN) and st.button(
            "Sign a tree head now",
            icon=":material/draw:",
            help="What `mlaudit checkpoint` does: sign the log as it is now.",
        ):
            new = sign_head(data.store())
            session.record_action(
                principal,
                "log.checkpoint",
                {"kind": "log", "name": "tree"},
                {"tree_size": new.tree_size, "head": new.id},
            )
            st.cache_data.clear()
            st.rerun()
        elif not is_allowed(principal, MAINTAIN):
            st.caption("An administrator can sign a new head (`mlaudit checkpoint`).")
    st.caption(f"{check.under.capitalize()}.")


def downloads(principal: Principal, pack: dict[str, Any], files: dict[str, Any]) -> None:
    model = pack["model"]
    resource = f"{model['namespace']}/{model['name']}"
    stem = f"evidence-{model['name']}-{model['version'][:16]}"
    details = {
        "version": model["version"],
        "entries": len(pack["entries"]),
        "head": (pack["head"] or {}).get("id"),
    }
    html_col, json_col, _ = st.columns([1, 1, 2])
    html_col.download_button(
        "Download report (HTML)",
        files["html"],
        file_name=f"{stem}.html",
        mime="text/html",
        icon=":material/download:",
        type="primary",
        on_click=record_export,
        args=(principal, resource, {**details, "format": "html"}),
    )
    json_col.download_button(
        "Download pack (JSON)",
        files["json"],
        file_name=f"{stem}.json",
        mime="application/json",
        icon=":material/data_object:",
        on_click=record_export,
        args=(principal, resource, {**details, "format": "json"}),
    )


def contents(pack: dict[str, Any]) -> None:
    trace = pack["trace"]
    cols = st.columns(5)
    cols[0].metric("Dataset versions", len(trace["datasets"]))
    cols[1].metric("Runs", len(trace["runs"]))
    cols[2].metric("Evaluations", len(trace["evaluations"]))
    cols[3].metric("Deployments", len(trace["deployments"]))
    cols[4].metric("Log entries proven", len(pack["entries"]))
    rows = [
        {**e, "time": when(e["event_time"]), "leaf": e["proof"]["leaf_hash"][:16] + "…"}
        for e in pack["entries"]
    ]
    st.dataframe(
        frame(rows, ["seq", "time", "event_type", "job", "why", "leaf"]),
        hide_index=True,
        width="stretch",
        column_config={"why": st.column_config.TextColumn("why it is needed", width="large")},
    )
    with st.expander("How a third party verifies it"):
        st.markdown("\n".join(f"1. {step}" for step in pack["how_to_verify"]))
        st.caption(
            "The verifier is `lineage/merkle/verifier.py` (it imports only "
            "`lineage/merkle/hashing.py`): copy the two files, no database needed."
        )
    if pack["head"]:
        with st.expander("Signed tree head"):
            st.json(pack["head"])


def render(principal: Principal) -> None:
    st.title("Evidence pack")
    st.caption(
        "A model version's full trace, evaluations, deployments and actors, with inclusion "
        "proofs of every log entry it relies on and the signed tree head: a report a third "
        "party can check without access to this system."
    )
    left, right = st.columns(2)
    with left:
        model = dataset_picker(principal, "evidence", kind="MODEL", noun="model")
    if model is None:
        session.record_visit(principal, "ui.view.evidence", "evidence")
        return
    with right:
        chosen = version_picker(model, "evidence", prefer_live="production")
    if chosen is None:
        session.record_visit(principal, "ui.view.evidence", "evidence")
        return
    resource = f"{model['namespace']}/{model['name']}"
    session.record_view(
        principal, "ui.view.evidence", {"kind": "model", "name": resource}, {"version": chosen}
    )
    params = {"model": model["name"], "namespace": model["namespace"], "version": chosen}
    with st.spinner("Collecting entries and proofs…"):
        pack = data.query("evidence", **params)
        files = data.evidence_files(**params)
    st.subheader(f"{label(model['namespace'], model['name'])} @ {version(chosen)}")
    status(pack, files["check"], principal)
    downloads(principal, pack, files)
    contents(pack)


with guard("the evidence pack"):
    render(session.require())
