"""reports tables (see lineage/reports)."""

from __future__ import annotations
