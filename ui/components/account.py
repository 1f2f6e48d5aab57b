"""The sidebar: who is signed in, with which roles and scope, what they see, and sign-out."""

from __future__ import annotations

import streamlit as st

from lineage.authz import READ_PERSONAL, REVEAL, Principal, is_allowed
from ui import data, session
from ui.components.feedback import database_label, guard
from ui.components.renderer import preload_graph_renderer


def sidebar(principal: Principal | None) -> None:
    with st.sidebar:
        if principal is None:
            st.caption(f"Audit store: {database_label(data.url())}")
            return
        st.markdown(f"**{principal.name}**  \n{', '.join(principal.roles)}")
        if principal.projects:
            st.caption("Projects: " + ", ".join(principal.projects))
        if not is_allowed(principal, READ_PERSONAL):
            st.caption("Personal data is hidden for your role.")
        elif is_allowed(principal, REVEAL):
            st.caption("People show as pseudonyms; you may reveal them (each reveal is logged).")
        else:
            st.caption("People show as pseudonyms.")
        st.caption(f"Audit store: {database_label(data.url())}")
        if st.button("Sign out", icon=":material/logout:", width="stretch"):
            with guard("sign-out"):
                session.sign_out()
            st.rerun()
        preload_graph_renderer()
