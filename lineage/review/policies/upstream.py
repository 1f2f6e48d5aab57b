"""The data behind training runs: their inputs, and (by default) everything upstream of them.

One recursive query for all the runs of a review: edges from a version to the run that wrote it
and that run's inputs. UNION keeps the walk finite on diamonds; depth caps pathological graphs.
"""

from __future__ import annotations

from typing import Any

from lineage.review.context import ReviewContext
from lineage.review.policies.params import Param, one_of
from lineage.review.policies.rows import expanding, fetch, label

MAX_DEPTH = 200
DEPTH = Param(
    "upstream", one_of("upstream", "direct"), "upstream: the whole lineage; direct: inputs"
)

UPSTREAM = expanding(
    """
    WITH RECURSIVE up(root, version_id, depth) AS (
        SELECT ri.run_id, ri.version_id, 1 FROM run_inputs ri WHERE ri.run_id IN :runs
        UNION
        SELECT up.root, ri.version_id, up.depth + 1
        FROM up
        JOIN run_outputs ro ON ro.version_id = up.version_id AND ro.event_time <= :until
        JOIN run_inputs ri ON ri.run_id = ro.run_id AND ri.event_time <= :until
        WHERE up.depth < :max_depth
    )
    SELECT up.root, up.version_id, MIN(up.depth) AS depth, v.dataset_id, v.version,
           d.namespace, d.name
    FROM up
    JOIN dataset_versions v ON v.id = up.version_id
    JOIN datasets d ON d.id = v.dataset_id
    GROUP BY up.root, up.version_id, v.dataset_id, v.version, d.namespace, d.name
    ORDER BY up.root, MIN(up.depth), d.namespace, d.name
    """,
    "runs",
)


def training_data(
    ctx: ReviewContext, run_ids: list[str], depth: str
) -> dict[str, list[dict[str, Any]]]:
    """Run id -> the dataset versions it was trained on: {version_id, dataset_id, version,
    dataset ("namespace/name"), depth (1: read by the run itself)}."""
    found: dict[str, list[dict[str, Any]]] = {run: [] for run in run_ids}
    limit = 1 if depth == "direct" else MAX_DEPTH
    rows = fetch(ctx, UPSTREAM, runs=run_ids, until=ctx.window.until, max_depth=limit)
    for row in rows:
        row["dataset"] = label(row.pop("namespace"), row.pop("name"))
        found[row.pop("root")].append(row)
    return found
