"""Who accessed what, when: per actor, per UTC hour and per kind of access, counted in SQL.

An access is a row of `data_access` (read, create, modify or delete of a dataset, attributed to
the event's actor or else its run's actor) or a read of the audit log itself: the user actions
whose names start with `log.read.`, `ui.view` or `ui.export.`, and `identity.reveal`. Times are
the producer's `eventTime` in UTC. Only these per-hour sums leave the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

# Filtered on data_access's own time, not through the log's index: the log's rows are wide and
# fetching each is the cost. A run's actor stands in when the event named none; those rows are
# a separate, indexed branch so the common case stays a plain grouped scan (its NULL group is
# dropped in Python: filtering it in SQL, or grouping by actor first, makes SQLite walk the
# actor index and fetch rows one by one instead).
DATA_ACCESS = text(
    """
    SELECT da.actor_id, substr(da.event_time, 1, 13) AS hour, da.action AS kind,
           COUNT(*) AS n, MIN(da.event_time) AS first
    FROM data_access da
    WHERE da.event_time >= :since AND da.event_time < :until
    GROUP BY substr(da.event_time, 1, 13), da.action, da.actor_id
    UNION ALL
    SELECT r.actor_id, substr(da.event_time, 1, 13), da.action, COUNT(*), MIN(da.event_time)
    FROM data_access da JOIN runs r ON r.run_id = da.run_id
    WHERE da.event_time >= :since AND da.event_time < :until AND da.actor_id IS NULL
      AND r.actor_id IS NOT NULL
    GROUP BY r.actor_id, substr(da.event_time, 1, 13), da.action
    """
)

# The predicate on user actions that read the log; shared with the per-actor count below.
LOG_READ_WHERE = """
    l.job_namespace = 'mlaudit' AND l.actor IS NOT NULL
    AND (l.job_name LIKE 'log.read.%' OR l.job_name LIKE 'ui.view%'
         OR l.job_name LIKE 'ui.export.%' OR l.job_name = 'identity.reveal')
"""

LOG_READS = text(
    f"""
    SELECT l.actor AS actor, substr(l.event_time, 1, 13) AS hour, COUNT(*) AS n,
           MIN(l.event_time) AS first
    FROM audit_log l
    WHERE l.event_time >= :since AND l.event_time < :until AND {LOG_READ_WHERE}
    GROUP BY l.actor, substr(l.event_time, 1, 13)
    """
)

ACTORS = text("SELECT id, name, first_seen FROM actors")

# Reads by one actor in an interval (escalation): data reads plus reads of the log.
READS_BETWEEN = text(
    f"""
    SELECT
      (SELECT COUNT(*) FROM audit_log l
       JOIN data_access da ON da.seq = l.seq
       LEFT JOIN runs r ON r.run_id = da.run_id
       JOIN actors a ON a.id = COALESCE(da.actor_id, r.actor_id)
       WHERE l.event_time > :after AND l.event_time <= :until
         AND a.name = :actor AND da.action = 'read') AS data_reads,
      (SELECT COUNT(*) FROM audit_log l
       WHERE l.event_time > :after AND l.event_time <= :until
         AND l.actor = :actor AND {LOG_READ_WHERE}) AS log_reads
    """
)


@dataclass
class AccessProfile:
    """Counts per actor, keyed by (hour "YYYY-MM-DDTHH", kind); `first` is each hour's first
    access time per actor."""

    counts: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    first: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, actor: str, hour: str, kind: str, n: int, first: str) -> None:
        cells = self.counts.setdefault(actor, defaultdict(int))
        cells[(hour, kind)] += n
        firsts = self.first.setdefault(actor, {})
        firsts[hour] = min(firsts.get(hour, first), first)

    def actors(self) -> list[str]:
        return sorted(self.counts)

    def hourly(self, actor: str, kinds: Iterable[str] | None = None) -> dict[str, int]:
        """Hour "YYYY-MM-DDTHH" -> accesses of the given kinds (all kinds when None)."""
        wanted = None if kinds is None else frozenset(kinds)
        found: dict[str, int] = defaultdict(int)
        for (hour, kind), n in self.counts.get(actor, {}).items():
            if wanted is None or kind in wanted:
                found[hour] += n
        return dict(found)

    def daily(self, actor: str, kinds: Iterable[str] | None = None) -> dict[str, int]:
        """Day "YYYY-MM-DD" -> accesses of the given kinds."""
        found: dict[str, int] = defaultdict(int)
        for hour, n in self.hourly(actor, kinds).items():
            found[hour[:10]] += n
        return dict(found)

    def first_in(self, actor: str, prefix: str) -> str | None:
        """The earliest access time of the actor in hours starting with `prefix`."""
        firsts = self.first.get(actor, {})
        times = [t for hour, t in firsts.items() if hour.startswith(prefix)]
        return min(times) if times else None


class Actors:
    """Every actor the store knows: names by id, and when each was first seen. Read again when
    an access names an actor committed after the last read (PostgreSQL reads see new commits)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.names: dict[int, str] = {}
        self.first_seen: dict[str, str] = {}
        self._read()

    def name(self, actor_id: int) -> str:
        if actor_id not in self.names:
            self._read()
        return self.names[actor_id]

    def _read(self) -> None:
        rows = self._conn.execute(ACTORS).all()
        self.names = {r.id: r.name for r in rows}
        self.first_seen = {r.name: r.first_seen for r in rows}


def load_profile(conn: Connection, actors: Actors, since: str, until: str) -> AccessProfile:
    """Every actor's accesses in [since, until), summed per hour and kind."""
    profile = AccessProfile()
    params = {"since": since, "until": until}
    for row in conn.execute(DATA_ACCESS, params):
        if row.actor_id is None:
            continue
        profile.add(actors.name(row.actor_id), row.hour, row.kind, int(row.n), row.first)
    for row in conn.execute(LOG_READS, params):
        profile.add(row.actor, row.hour, "log_read", int(row.n), row.first)
    return profile


def reads_between(conn: Connection, actor: str, after: str, until: str) -> tuple[int, int]:
    """(data reads, log reads) by `actor` in (after, until]."""
    row = conn.execute(READS_BETWEEN, {"actor": actor, "after": after, "until": until}).one()
    return int(row.data_reads), int(row.log_reads)
