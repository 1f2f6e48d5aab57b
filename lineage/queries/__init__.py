"""Read-side queries: lineage traversal in SQL, shared by the CLI, the HTTP API and the app."""

from lineage.queries.events import list_events
from lineage.queries.history import dataset_history
from lineage.queries.impact import impact
from lineage.queries.trace import trace

__all__ = ["dataset_history", "impact", "list_events", "trace"]
