"""retention tables (see lineage/retention)."""

from __future__ import annotations
