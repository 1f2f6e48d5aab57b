"""Recreate the projections from the log: they are derived data, the log is the evidence."""

from __future__ import annotations

import json

from sqlalchemy import Engine, delete, select

from lineage.category_hours import recount
from lineage.db import writer_transaction
from lineage.models import (
    Actor,
    DataAccess,
    Dataset,
    DatasetVersion,
    Deployment,
    Evaluation,
    Job,
    LogEntry,
    Run,
    RunInput,
    RunOutput,
    VersionEdge,
)
from lineage.projection import Projector

# Children before parents, so foreign keys hold at every step. version_edges is filled by
# triggers on run_inputs/run_outputs (migration 0010): emptied here, refilled by the replay.
PROJECTIONS = (
    VersionEdge,
    DataAccess,
    Deployment,
    Evaluation,
    RunInput,
    RunOutput,
    DatasetVersion,
    Run,
    Dataset,
    Job,
    Actor,
)
CHUNK = 5000


def rebuild_projections(engine: Engine) -> int:
    """Empty every projection and replay the whole log in one transaction; count the log's
    categories per hour again too (lineage.category_hours), which the append keeps."""
    count = 0
    with writer_transaction(engine) as conn:
        for model in PROJECTIONS:
            conn.execute(delete(model.__table__))
        recount(conn)
        projector = Projector(conn)
        last = 0
        while True:
            rows = conn.execute(
                select(LogEntry.seq, LogEntry.payload, LogEntry.event_time)
                .where(LogEntry.seq > last)
                .order_by(LogEntry.seq)
                .limit(CHUNK)
            ).all()
            if not rows:
                return count
            for seq, payload, event_time in rows:
                projector.project(seq, json.loads(payload), event_time)
            count += len(rows)
            last = rows[-1].seq
