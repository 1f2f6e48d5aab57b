"""What every benchmark shares: the machine, fresh databases, repeats and the result files.

A result file is `bench/results/<benchmark>-<db>-<size>.json`:

    {"benchmark", "size", "database", "machine", "started_at", "duration_s",
     "figures": [{"name", "value", "unit", "target", "op", "met", "runs", "note"}]}

`op` is ">=" or "<=" (how `value` must compare with `target`); a figure without a target (a
ratio, a size) has `target`, `op` and `met` null. `runs` holds each repeat's value; `value` is
their median.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.speed import reference_ms

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN = os.environ.get("MLAUDIT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATABASES = ("sqlite", "postgres")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: float | None = None
    op: str | None = None
    runs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.target is None or self.op is None:
            return None
        return self.value >= self.target if self.op == ">=" else self.value <= self.target

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


def figure(
    name: str, runs: list[float], unit: str, target: tuple[str, float] | None = None, note: str = ""
) -> Figure:
    """The median of `runs` as a figure; `target` is (op, value), e.g. (">=", 20000)."""
    if not runs:
        raise ValueError(f"figure {name!r} has no runs")
    op, goal = target if target else (None, None)
    if op not in (None, ">=", "<="):
        raise ValueError(f"figure {name!r}: op must be '>=' or '<=', got {op!r}")
    return Figure(name, statistics.median(runs), unit, goal, op, list(runs), note)


def median_of(repeats: int, measure: Callable[[], float]) -> list[float]:
    """Each repeat's value of `measure` (the caller takes the median through `figure`)."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    return [measure() for _ in range(repeats)]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 200 samples is the 190th smallest)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(_ram_bytes() / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **_postgres_described(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "reference_ms": reference_ms(),
    }


def _postgres_described() -> dict[str, Any]:
    found = _postgres()
    version = found.pop("server_version")
    return (
        {"postgresql": version, "postgresql_settings": found} if found else {"postgresql": version}
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


# Server settings a PostgreSQL figure depends on, recorded beside the version.
POSTGRES_SETTINGS = (
    "shared_buffers", "autovacuum", "synchronous_commit", "max_wal_size",
    "default_toast_compression", "jit",
)  # fmt: skip


def _postgres() -> dict[str, str]:
    try:
        engine = create_engine(PG_ADMIN)
        with engine.connect() as conn:
            found = {
                name: str(conn.execute(text(f"SHOW {name}")).scalar())
                for name in ("server_version", *POSTGRES_SETTINGS)
            }
        engine.dispose()
        return found
    except Exception as exc:  # no server: the machine is still described
        return {"server_version": f"unreachable ({type(exc).__name__})"}


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """The URL of a new, empty database: a temporary SQLite file or a PostgreSQL database on
    the local server, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="mlaudit-bench-") as folder:
            yield f"sqlite:///{folder}/audit.db"
    elif kind == "postgres":
        yield from _postgres_database()
    else:
        raise ValueError(f"unknown database {kind!r}: use one of {', '.join(DATABASES)}")


def _postgres_database() -> Iterator[str]:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"mlaudit_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def own_keys() -> Iterator[None]:
    """Fresh secret keys for one store (pseudonyms, vault), as a new installation has."""
    before = os.environ.get("MLAUDIT_KEYS_DIR")
    with tempfile.TemporaryDirectory(prefix="mlaudit-bench-keys-") as folder:
        os.environ["MLAUDIT_KEYS_DIR"] = folder
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("MLAUDIT_KEYS_DIR", None)
            else:
                os.environ["MLAUDIT_KEYS_DIR"] = before


class Result:
    """One benchmark's result file, written by `save` with the time it took."""

    def __init__(self, benchmark: str, size: str, database: str) -> None:
        self.benchmark, self.size, self.database = benchmark, size, database
        self.started = time.time()
        self.figures: list[Figure] = []

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def save(self, folder: Path = RESULTS) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.benchmark}-{self.database}-{self.size}.json"
        document = {
            "benchmark": self.benchmark,
            "size": self.size,
            "database": self.database,
            "machine": machine(),
            "started_at": datetime.fromtimestamp(self.started, UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.time() - self.started, 1),
            "figures": [f.as_json() for f in self.figures],
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return path

    def save_and_show(self, folder: Path = RESULTS) -> Path:
        """`save`, then print each figure (and whether it met its target) and the file."""
        path = self.save(folder)
        for f in self.figures:
            met = "" if f.met is None else ("  met" if f.met else "  NOT MET")
            note = f" ({f.note})" if f.note else ""
            print(f"  {f.name}: {f.value:,.2f} {f.unit}{met}{note}", flush=True)
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"[bench] wrote {shown}", flush=True)
        return path
