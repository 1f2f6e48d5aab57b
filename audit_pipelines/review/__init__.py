"""The reviews on the Dagster side: capture completeness, the review jobs and schedules, the
weekly compliance report asset, and the entry point the CLI shares with the jobs (`run`)."""
