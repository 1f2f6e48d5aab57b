"""Dagster code of mlaudit: the example ML project and the capture of its event log."""
