"""The recursive lineage walks, in SQL that runs on SQLite and PostgreSQL alike.

UNION (not UNION ALL) keeps the walk finite on diamonds; depth is capped for pathological graphs.
"""

from __future__ import annotations

from sqlalchemy import text

END_OF_TIME = "9999-12-31T23:59:59.999999Z"
MAX_DEPTH = 200

UPSTREAM = text(
    """
    WITH RECURSIVE up(version_id, depth) AS (
        SELECT CAST(:start AS INTEGER), 0
        UNION
        SELECT ri.version_id, up.depth + 1
        FROM up
        JOIN run_outputs ro ON ro.version_id = up.version_id AND ro.event_time <= :as_of
        JOIN run_inputs ri ON ri.run_id = ro.run_id AND ri.event_time <= :as_of
        WHERE up.depth < :max_depth
    )
    SELECT version_id, MIN(depth) AS depth FROM up GROUP BY version_id
    """
)

DOWNSTREAM = text(
    """
    WITH RECURSIVE down(version_id, depth) AS (
        SELECT id, 0 FROM dataset_versions WHERE dataset_id = :dataset_id
        UNION
        SELECT ro.version_id, down.depth + 1
        FROM down
        JOIN run_inputs ri ON ri.version_id = down.version_id AND ri.event_time <= :as_of
        JOIN run_outputs ro ON ro.run_id = ri.run_id AND ro.event_time <= :as_of
        WHERE down.depth < :max_depth
    )
    SELECT version_id, MIN(depth) AS depth FROM down GROUP BY version_id
    """
)
