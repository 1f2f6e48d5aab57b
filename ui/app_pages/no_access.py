"""Shown to accounts whose roles grant none of the app's pages (e.g. `producer`)."""

from __future__ import annotations

import streamlit as st

st.title("No pages for your role")
st.info(
    "Your account's roles do not include reading the audit log (a `producer` account only "
    "writes events). Ask an administrator for the `viewer`, `auditor` or `ml_engineer` role."
)
