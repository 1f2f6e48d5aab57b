"""Findings: what the periodic reviews found, stored, deduplicated and triaged."""
