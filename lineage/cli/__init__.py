"""The `mlaudit` command line."""
