"""Audit log: the raw entries, filtered by time, category, actor, dataset and model, paged."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lineage.authz import REVEAL, Principal, is_allowed
from lineage.categories import CATEGORIES
from lineage.privacy import is_pseudonym, pseudonym_for
from ui import data, session
from ui.components.entries import entries_table
from ui.components.feedback import guard
from ui.components.format import label
from ui.components.paging import cursor, pager
from ui.components.pickers import date_window

PAGE_SIZE = 50


def optional_dataset(principal: Principal, key: str, noun: str, kind: str | None) -> Any:
    """An optional (namespace, name) filter, found by search like everywhere else."""
    text = st.text_input(noun.capitalize(), key=f"{key}_text", placeholder="any; type to search")
    if not text.strip():
        return None
    found = data.search(
        "datasets", text=text, kind=kind, patterns=session.scope(principal), limit=20
    )
    if not found:
        st.caption(f"No {noun} matches.")
        return None
    choice = st.selectbox(
        f"Matching {noun}s",
        found,
        key=f"{key}_pick",
        format_func=lambda d: label(d["namespace"], d["name"]),
    )
    return (choice["namespace"], choice["name"]) if choice else None


def filters(principal: Principal) -> dict[str, Any]:
    top = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
    with top[0]:
        whole = st.toggle("Any time", value=True, key="log_any_time")
        since, until = (None, None) if whole else date_window("log")
    category = top[1].selectbox(
        "Category",
        [None, *CATEGORIES],
        key="log_category",
        format_func=lambda c: "any" if c is None else c,
    )
    actor = (
        top[2].text_input("Actor", key="log_actor", placeholder="pseudonym or service name").strip()
    )
    newest = top[3].toggle("Newest first", value=True, key="log_newest")
    if actor and not is_pseudonym(actor) and is_allowed(principal, REVEAL):
        actor = pseudonym_for(actor, data.store().keys.pseudonym_key())
    left, right = st.columns(2)
    with left:
        dataset = optional_dataset(principal, "log_dataset", "dataset", None)
    with right:
        model = optional_dataset(principal, "log_model", "model", "MODEL")
    return {
        "since": since,
        "until": until,
        "category": category,
        "actor": actor or None,
        "dataset": dataset,
        "model": model,
        "newest_first": newest,
    }


def render(principal: Principal) -> None:
    st.title("Audit log")
    st.caption("The stored entries themselves, filtered and paged. All times are UTC.")
    chosen = filters(principal)
    position, page = cursor("log_pages", chosen, None)
    details = {k: v for k, v in chosen.items() if v is not None}
    if chosen["actor"]:  # a typed name may be a person's: the log records its pseudonym
        details["actor"] = session.as_recorded(chosen["actor"])
    session.record_view(
        principal, "ui.view.events", {"kind": "log", "name": "events"}, {**details, "page": page}
    )
    side = "before_seq" if chosen["newest_first"] else "after_seq"
    rows = data.query("entries", **chosen, **{side: position}, limit=PAGE_SIZE)
    if not rows:
        st.info("No entry matches these filters.")
        return
    entries_table(rows, principal, "log")
    following = rows[-1]["seq"] if len(rows) == PAGE_SIZE else None
    pager("log_pages", following, len(rows), "entries")


with guard("the audit log"):
    render(session.require())
