"""The rows one batch reads and writes, held in memory while its events are applied in order.

Events are applied to these objects exactly as they would be to the tables one event at a time;
the writer lock is held, so nothing else changes the tables meanwhile. Versions created in the
batch get negative ids in creation order; `write_state` inserts them in that order, so their
stored ids keep it (ids order versions of equal time, as in "latest at T").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lineage.projection.plan import Key


@dataclass(slots=True)
class Version:
    id: int
    dataset_id: int
    version: str
    created_at: str
    run_id: str | None = None
    seq: int | None = None
    facets: dict[str, Any] | None = None
    changed: bool = False

    def rank(self) -> tuple[str, int, int]:
        """`created_at, id` order: a new row's id will be above every stored one."""
        return (self.created_at, 1, -self.id) if self.id < 0 else (self.created_at, 0, self.id)


class Versions:
    """Dataset versions the batch named, with the stored answers to "latest at T" it needs."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[int, str], Version] = {}
        self.by_dataset: dict[int, list[Version]] = defaultdict(list)
        # (dataset id, time) -> (created_at, id) of the newest stored version, as stored.
        self.stored_latest: dict[tuple[int, str], tuple[str, int] | None] = {}
        # Stored versions whose creation time this batch moved earlier (claimed by a producer),
        # and how to ask the database for the newest version without them.
        self.moved: set[int] = set()
        self.requery: Callable[[int, str, list[int]], tuple[str, int] | None] | None = None
        self.created: list[Version] = []

    def add(self, version: Version) -> None:
        self.by_key[(version.dataset_id, version.version)] = version
        self.by_dataset[version.dataset_id].append(version)

    def find(self, dataset_id: int, version: str) -> Version | None:
        return self.by_key.get((dataset_id, version))

    def create(self, dataset_id: int, version: str, when: str, **extra: Any) -> Version:
        row = Version(-(len(self.created) + 1), dataset_id, version, when, **extra)
        self.created.append(row)
        self.add(row)
        return row

    def latest(self, dataset_id: int, when: str) -> int | None:
        """The newest named version that existed at `when` (ties: the newest row)."""
        best: tuple[str, int, int] | None = None
        best_id: int | None = None
        stored = self.stored_latest.get((dataset_id, when))
        if stored is not None and stored[1] in self.moved and self.requery:
            # The stored answer's time is stale; the moved rows compete below, from memory.
            stored = self.requery(dataset_id, when, sorted(self.moved))
        if stored is not None:
            best, best_id = (stored[0], 0, stored[1]), stored[1]
        for row in self.by_dataset.get(dataset_id, ()):
            if row.version != "" and row.created_at <= when and (best is None or row.rank() > best):
                best, best_id = row.rank(), row.id
        return best_id

    def node(self, dataset_id: int, version: Any, when: str) -> int:
        """The node an input or a model reference points at: the named version, else the latest
        at `when`, else the dataset's unversioned node."""
        if version:
            found = self.find(dataset_id, version)
            return (found or self.create(dataset_id, version, when, facets={})).id
        latest = self.latest(dataset_id, when)
        if latest is not None:
            return latest
        found = self.find(dataset_id, "")
        return (found or self.create(dataset_id, "", when, facets={})).id


@dataclass(slots=True)
class DatasetRow:
    kind: str
    deleted_at: str | None
    stored: tuple[str, str | None] | None  # as read (None: created in this batch)


@dataclass(slots=True)
class Access:
    """A data_access row: new in this batch, or stored (`stored_id`; only its action changes)."""

    seq: int | None
    dataset_id: int
    version_id: int | None
    run_id: str | None
    actor_id: int | None
    action: str
    event_time: str
    stored_id: int | None = None


@dataclass
class BatchState:
    jobs: dict[Key, int] = field(default_factory=dict)
    actors: dict[str, int] = field(default_factory=dict)
    datasets: dict[Key, int] = field(default_factory=dict)
    dataset_rows: dict[int, DatasetRow] = field(default_factory=dict)
    versions: Versions = field(default_factory=Versions)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    stored_runs: set[str] = field(default_factory=set)
    # Edges by table name: the (run id, version id) pairs known, and those to insert.
    edges: dict[str, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))
    new_edges: dict[str, list[tuple[str, int, str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # The `create` access row of each written dataset (at most one exists), new access rows.
    creates: dict[int, Access] = field(default_factory=dict)
    access: list[Access] = field(default_factory=list)
    demoted: list[int] = field(default_factory=list)
    evaluations: list[tuple[Any, ...]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    stored_deployments: list[dict[str, Any]] = field(default_factory=list)
    # The id the next dataset version will get, when read with the lookups (PostgreSQL, a
    # few events): new versions are then numbered here instead of waiting for RETURNING.
    next_version_id: int | None = None

    def set_dataset(self, dataset_id: int, **values: Any) -> None:
        row = self.dataset_rows[dataset_id]
        for name, value in values.items():
            setattr(row, name, value)
