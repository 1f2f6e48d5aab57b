"""findings tables (see lineage/findings)."""

from __future__ import annotations
