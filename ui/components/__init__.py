"""Rendering pieces shared by pages: pickers, tables, the lineage graph, error messages."""
