"""The store's tables: the append-only log and the projections queries read.

Times are stored as ISO-8601 UTC text (`2026-01-02T03:04:05.000006Z`): it sorts correctly, compares
the same on SQLite and PostgreSQL, and never meets a session time zone.
"""

# Feature tables register themselves on import; their classes are imported from their modules.
from lineage.models import accounts, findings, merkle, privacy, reports, retention  # noqa: F401
from lineage.models.graph import Dataset, DatasetVersion, Job, Run, RunInput, RunOutput, VersionEdge
from lineage.models.log import EntryCategory, LogEntry
from lineage.models.ml import Actor, DataAccess, Deployment, Evaluation

__all__ = [
    "Actor",
    "DataAccess",
    "Dataset",
    "DatasetVersion",
    "Deployment",
    "EntryCategory",
    "Evaluation",
    "Job",
    "LogEntry",
    "Run",
    "RunInput",
    "RunOutput",
    "VersionEdge",
]
