"""Who created, modified, read and deleted a dataset or model, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from lineage.collector import collector_paused
from lineage.queries.resolve import resolve_dataset

ACCESS = text(
    """
    SELECT da.event_time, da.action, v.version, da.run_id, j.namespace AS job_namespace,
           j.name AS job_name, COALESCE(a.name, pa.name) AS actor, da.seq
    FROM data_access da
    LEFT JOIN dataset_versions v ON v.id = da.version_id
    LEFT JOIN runs r ON r.run_id = da.run_id
    LEFT JOIN jobs j ON j.id = r.job_id
    LEFT JOIN actors a ON a.id = da.actor_id
    LEFT JOIN runs p ON p.run_id = r.parent_run_id
    LEFT JOIN actors pa ON pa.id = p.actor_id
    WHERE da.dataset_id = :dataset_id
    ORDER BY da.event_time, da.seq, da.id
    LIMIT :limit
    """
)


@collector_paused()
def dataset_history(
    engine: Engine, dataset: str, *, namespace: str | None = None, limit: int = 1000
) -> dict[str, Any]:
    with engine.connect() as conn:
        root = resolve_dataset(conn, dataset, namespace=namespace)
        rows = [
            dict(r._mapping)
            for r in conn.execute(ACCESS, {"dataset_id": root["id"], "limit": limit})
        ]
    for row in rows:
        job = f"{row.pop('job_namespace')}/{row.pop('job_name')}" if row.get("job_name") else None
        row["job"] = job
    return {
        "dataset": {
            "namespace": root["namespace"],
            "name": root["name"],
            "kind": root["kind"],
            "created_at": root["created_at"],
            "deleted_at": root["deleted_at"],
        },
        "access": rows,
    }
