"""A dataset's access history a page at a time: who created, modified, read, deleted it, when.

`lineage.queries.dataset_history` returns the first N accesses; a dataset read by a nightly job
for years needs keyset pages (newest first) and a filter by action instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from lineage.queries.resolve import resolve_dataset

ACCESS_PAGE = text(
    """
    SELECT da.id, da.seq, da.event_time, da.action, v.version, da.run_id,
           j.namespace AS job_namespace, j.name AS job_name, COALESCE(a.name, pa.name) AS actor
    FROM data_access da
    LEFT JOIN dataset_versions v ON v.id = da.version_id
    LEFT JOIN runs r ON r.run_id = da.run_id
    LEFT JOIN jobs j ON j.id = r.job_id
    LEFT JOIN actors a ON a.id = da.actor_id
    LEFT JOIN runs p ON p.run_id = r.parent_run_id
    LEFT JOIN actors pa ON pa.id = p.actor_id
    WHERE da.dataset_id = :dataset_id
      AND (CAST(:action AS VARCHAR(16)) IS NULL OR da.action = :action)
      AND (da.event_time < :before_time OR (da.event_time = :before_time AND da.id < :before_id))
    ORDER BY da.event_time DESC, da.id DESC
    LIMIT :limit
    """
)

SUMMARY = text(
    """
    SELECT action, COUNT(*) AS times, MIN(event_time) AS first, MAX(event_time) AS last
    FROM data_access WHERE dataset_id = :dataset_id GROUP BY action ORDER BY action
    """
)

# A cursor past every stored time and id: the first page.
FIRST_PAGE = ("9999-12-31T23:59:59.999999Z", 2**62)


def access_page(
    engine: Engine,
    dataset: str,
    *,
    namespace: str | None = None,
    action: str | None = None,
    before: tuple[str, int] = FIRST_PAGE,
    limit: int = 100,
) -> dict[str, Any]:
    """The dataset, its access counts by action, and one page of accesses (newest first).

    `next` is the cursor of the following page, None on the last one.
    """
    with engine.connect() as conn:
        root = resolve_dataset(conn, dataset, namespace=namespace)
        params = {
            "dataset_id": root["id"],
            "action": action,
            "before_time": before[0],
            "before_id": before[1],
            "limit": max(1, min(limit, 1000)),
        }
        rows = [dict(r._mapping) for r in conn.execute(ACCESS_PAGE, params)]
        summary = [dict(r._mapping) for r in conn.execute(SUMMARY, {"dataset_id": root["id"]})]
    for row in rows:
        namespace_, name = row.pop("job_namespace"), row.pop("job_name")
        row["job"] = f"{namespace_}/{name}" if name else None
    following = (rows[-1]["event_time"], rows[-1]["id"]) if len(rows) == params["limit"] else None
    return {
        "dataset": {k: root[k] for k in ("namespace", "name", "kind", "created_at", "deleted_at")},
        "summary": summary,
        "access": rows,
        "next": following,
    }
