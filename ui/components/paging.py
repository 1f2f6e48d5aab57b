"""Keyset paging: a stack of cursors in the session, reset whenever the filters change."""

from __future__ import annotations

from typing import Any

import streamlit as st


def cursor(key: str, filters: Any, first: Any) -> tuple[Any, int]:
    """(cursor of the page to show, its page number); page 1 whenever `filters` change."""
    signature = repr(filters)
    state = st.session_state.get(key)
    if state is None or state["filters"] != signature:
        state = {"filters": signature, "stack": [first]}
        st.session_state[key] = state
    return state["stack"][-1], len(state["stack"])


def pager(key: str, following: Any, shown: int, noun: str = "rows") -> None:
    """Newest / newer / older buttons under a page of `shown` rows."""
    stack: list[Any] = st.session_state[key]["stack"]
    first, newer, older, note = st.columns([1, 1, 1, 4], vertical_alignment="center")
    if first.button("First page", key=f"{key}_first", disabled=len(stack) == 1):
        del stack[1:]
        st.rerun()
    if newer.button("← Previous", key=f"{key}_prev", disabled=len(stack) == 1):
        stack.pop()
        st.rerun()
    if older.button("Next →", key=f"{key}_next", disabled=following is None):
        stack.append(following)
        st.rerun()
    note.caption(f"Page {len(stack)} · {shown} {noun}" + ("" if following else " · last page"))
