"""Who launched a Dagster run, read from the run's tags, as the `mlaudit_actor` run facet."""

from __future__ import annotations

from collections.abc import Mapping

from lineage.facets import ActorRunFacet

USER_TAG = "dagster/user"
SCHEDULE_TAG = "dagster/schedule_name"
SENSOR_TAG = "dagster/sensor_name"

# First match wins: a person who launched a run by hand outranks the automation that may also
# have tagged it (a backfill launched from a sensor's run still has the user who asked for it).
_ACTOR_TAGS: tuple[tuple[str, str], ...] = (
    (USER_TAG, "user"),
    (SCHEDULE_TAG, "schedule"),
    (SENSOR_TAG, "sensor"),
)


def actor_facet(tags: Mapping[str, str] | None, producer: str) -> ActorRunFacet:
    """The actor of a run: user, schedule or sensor from its tags; `unknown` when none is set."""
    for tag, kind in _ACTOR_TAGS:
        name = (tags or {}).get(tag, "").strip()
        if name:
            return ActorRunFacet(name=name, kind=kind, source=tag, producer=producer)
    return ActorRunFacet(name="unknown", kind="unknown", producer=producer)
