"""The mlaudit app's entry point: only the router. Pages live in ui/app_pages and only render."""

from __future__ import annotations

import streamlit as st

from ui import navigation, session
from ui.components.account import sidebar

st.set_page_config(page_title="mlaudit", page_icon=":material/verified_user:", layout="wide")
principal = session.current()
page = st.navigation(navigation.pages(principal))
session.entered(page.url_path)
sidebar(principal)
page.run()
