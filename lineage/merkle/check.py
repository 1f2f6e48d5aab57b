"""The tree check of `mlaudit verify` (the signed-head checks are in `check_heads`).

`TreeCheck` rebuilds the tree from the entries' bytes while verify streams the log, and compares
every stored node with its recomputation in position order (one range read per chunk), so an
edited entry, an altered node or a missing one is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from lineage.errors import IntegrityError
from lineage.merkle.entries import raw_rows
from lineage.merkle.hashing import node_hash
from lineage.merkle.layout import leaves_of, node_at, nodes_for_size, size_for_nodes
from lineage.merkle.tree import NODES, Frontier, root_at
from lineage.models import LogEntry
from lineage.models.merkle import TreeHead

CHUNK = 8192


@dataclass(frozen=True)
class Snapshot:
    """What verify covers, read in one statement so concurrent appends cannot skew it."""

    last_seq: int
    stored_nodes: int
    last_head_id: int

    @property
    def tree_size(self) -> int:
        return size_for_nodes(self.stored_nodes)


def snapshot(conn: Connection) -> Snapshot:
    row = conn.execute(
        select(
            select(func.max(LogEntry.seq)).scalar_subquery(),
            select(func.max(NODES.c.pos)).scalar_subquery(),
            select(func.max(TreeHead.__table__.c.id)).scalar_subquery(),
        )
    ).one()
    return Snapshot(row[0] or 0, 0 if row[1] is None else row[1] + 1, row[2] or 0)


@dataclass(frozen=True)
class TreeProblem:
    kind: str  # leaf-mismatch | node-mismatch | node-missing | size-mismatch | torn | root-mismatch
    detail: str
    seq: int | None = None  # the entry a leaf stands for
    level: int | None = None
    index: int | None = None


@dataclass
class TreeReport:
    size: int = 0  # leaves stored
    entries: int = 0  # entries the log holds
    root: bytes | None = None  # stored root at `size`
    recomputed_root: bytes = b""  # root recomputed from the entries' bytes
    differing_nodes: int = 0
    problems: list[TreeProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class TreeCheck:
    """Feed it every entry's bytes in log order (`add`, in chunks), then `flush`.

    It may start mid-tree, from the frontier before its first leaf (a half of a parallel scan),
    and compares the stored nodes from there up to, not including, position `end_pos`.
    """

    def __init__(self, conn: Connection, end_pos: int, frontier: Frontier | None = None) -> None:
        self.conn = conn
        self.frontier = frontier or Frontier()
        self.compared = self.frontier.next_pos  # positions compared so far
        self.end_pos = end_pos
        self.buffer: list[bytes] = []
        self.problems: list[TreeProblem] = []
        self.differing = 0

    def add(self, entries: list[bytes]) -> None:
        """The next entries' bytes, in log order."""
        self.frontier.extend(entries, self.buffer)
        if len(self.buffer) >= CHUNK:
            self.flush()

    def add_leaves(self, leaves: list[bytes]) -> None:
        """Leaf hashes of archived entries, whose bytes have left the log: each leaf is taken as
        stored, every node above it is still recomputed and compared."""
        frontier, out = self.frontier, self.buffer
        for leaf in leaves:
            node = leaf
            out.append(node)
            frontier.size += 1
            for _ in range((frontier.size & -frontier.size).bit_length() - 1):
                node = node_hash(frontier.roots.pop(), node)
                out.append(node)
            frontier.roots.append(node)
        if len(self.buffer) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        start, buffer = self.compared, self.buffer
        self.compared, self.buffer = start + len(buffer), []
        end = min(start + len(buffer), self.end_pos)
        if end <= start:
            return
        span = NODES.c.pos >= start, NODES.c.pos < end
        wanted = buffer[: end - start]
        query = select(NODES.c.hash).where(*span).order_by(NODES.c.pos)
        stored = [row[0] for page in raw_rows(self.conn, query) for row in page]
        if stored == wanted:
            return  # positions are unique and all in range: as many hashes means no gaps
        pages = raw_rows(self.conn, select(NODES.c.pos, NODES.c.hash).where(*span))
        self._locate(start, wanted, {pos: bytes(h) for page in pages for pos, h in page})

    def _locate(self, start: int, wanted: list[bytes], stored: dict[int, bytes]) -> None:
        for offset, digest in enumerate(wanted):
            if stored.get(start + offset) == digest:
                continue
            self.differing += 1
            if not self.problems:
                self.problems.append(_node_problem(start + offset, start + offset not in stored))


def tree_report(conn: Connection, snap: Snapshot, check: TreeCheck, entries: int) -> TreeReport:
    """The stored tree against the one recomputed from the log's `entries` entries."""
    report = TreeReport(
        size=snap.tree_size,
        entries=entries,
        recomputed_root=check.frontier.root(),
        differing_nodes=check.differing,
        problems=list(check.problems),
    )
    if nodes_for_size(report.size) != snap.stored_nodes:
        report.problems.append(_torn(snap))
    if report.size != entries:
        detail = f"the tree holds {report.size} leaves but the log has {entries} entries"
        report.problems.append(TreeProblem("size-mismatch", detail))
    try:
        report.root = root_at(conn, report.size)
    except IntegrityError as exc:
        report.problems.append(TreeProblem("node-missing", str(exc)))
    if report.ok and report.root != report.recomputed_root:
        detail = "the stored root differs from the root recomputed from the entries"
        report.problems.append(TreeProblem("root-mismatch", detail))
    return report


def _node_problem(pos: int, missing: bool) -> TreeProblem:
    level, index = node_at(pos)
    first, end = leaves_of(level, index)
    what = "is missing" if missing else "does not match the hash recomputed from the entries"
    if level == 0:
        kind = "node-missing" if missing else "leaf-mismatch"
        detail = f"the tree's leaf for entry seq {index + 1} {what}"
        return TreeProblem(kind, detail, seq=index + 1, level=0, index=index)
    kind = "node-missing" if missing else "node-mismatch"
    detail = f"tree node level {level} index {index} (entries {first + 1}..{end}) {what}"
    return TreeProblem(kind, detail, seq=None, level=level, index=index)


def _torn(snap: Snapshot) -> TreeProblem:
    detail = (
        f"the tree stores {snap.stored_nodes} nodes; a tree of {snap.tree_size} leaves has "
        f"{nodes_for_size(snap.tree_size)}: nodes at its end were removed or added"
    )
    return TreeProblem("torn", detail)
