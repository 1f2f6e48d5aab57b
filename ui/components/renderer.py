"""Load the browser's Graphviz renderer before the first graph is asked for.

Streamlit's frontend loads its Graphviz renderer (Graphviz compiled to WebAssembly) the first time
a page draws a chart. On this machine kind that was about half a second of the first trace after
sign-in: the headline showed 0.23 s after the search and the graph 0.77 s, where later traces drew
their graph within 0.03 s of the headline (bench/app_trace.py, small). An empty graph in a hidden
container, in the sidebar of every signed-in page, has the browser load it while the user reads
the overview; a page that draws graphs then finds it ready.
"""

from __future__ import annotations

import streamlit as st

KEY = "graph_renderer_preload"
EMPTY_GRAPH = "digraph {}"


def preload_graph_renderer() -> None:
    """Draw an empty graph nobody sees (call inside the sidebar)."""
    st.html(f"<style>.st-key-{KEY} {{ display: none; }}</style>")
    with st.container(key=KEY):
        st.graphviz_chart(EMPTY_GRAPH)
