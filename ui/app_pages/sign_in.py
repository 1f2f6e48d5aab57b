"""Sign in. The only page a signed-out browser can reach; there is no anonymous mode."""

from __future__ import annotations

import streamlit as st

from lineage.accounts.auth import AuthenticationFailed
from ui import data, session
from ui.components.feedback import guard

st.title("mlaudit")
st.caption("Tamper-evident audit trail for ML data, models and people.")
notice = session.take_notice()
if notice:
    st.info(notice)

with guard("the sign-in page"):
    no_accounts = not data.accounts_exist()
if no_accounts:
    st.warning(
        "This audit store has no accounts yet, so nobody can sign in. Create the first "
        "administrator on the server, then sign in with it:"
    )
    st.code("mlaudit users add NAME --role admin", language="bash")
    st.caption("The app never opens without an account: audit data is not public.")

_, middle, _ = st.columns([1, 2, 1])
with middle, st.form("sign_in", border=True):
    st.subheader("Sign in")
    username = st.text_input("User name", autocomplete="username")
    password = st.text_input("Password", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary", disabled=no_accounts)

if submitted and not (username.strip() and password):
    st.error("Enter your user name and password.")
elif submitted:
    with guard("the sign-in"):
        try:
            session.sign_in(username.strip(), password)
        except AuthenticationFailed:
            st.error(
                "Wrong user name or password. The failed attempt was recorded in the audit log."
            )
            st.stop()
    st.rerun()
