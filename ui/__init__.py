"""The mlaudit app (Streamlit): a router (`app.py`) and pages that only render.

Queries live in `lineage.queries`; `ui.data` caches them; `ui.session` holds who is signed in
and records what they look at.
"""
