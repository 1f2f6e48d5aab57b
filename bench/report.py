"""The results table in bench/README.md, rebuilt from every file in bench/results/.

Only the part between the two markers is replaced; the rest of the README is prose. Files of the
same JSON format written by other scripts (capture, app, peer) appear in the same table.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS

README = Path(__file__).resolve().parent / "README.md"
START = "<!-- results:start -->"
END = "<!-- results:end -->"
ORDER = ("ingest", "http", "queries", "integrity", "storage", "capture", "app", "peer")
SIZE_ORDER = ("small", "medium", "full")
RUNS_HEADING = (
    "Runs of bench/run.py with all of this suite's own benchmarks (Also ran: the capture, app "
    "and peer scripts run with it; Reference work: the median time of `bench/speed.py`'s fixed "
    "work over the results the run wrote, the same on an equally fast hour of the machine):\n\n"
)
MACHINES_HEADING = (
    "Machines (load average, and the time of the fixed reference work of `bench/speed.py`, when"
    " each result was written: the same work takes longer on a slower hour of the machine):\n\n"
)


def load_results(folder: Path = RESULTS) -> list[dict[str, Any]]:
    documents = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if "figures" in document:
            documents.append(document)
    return sorted(documents, key=_order)


def _order(document: dict[str, Any]) -> tuple[int, int, str]:
    name, size = document.get("benchmark", ""), document.get("size", "")
    rank = ORDER.index(name) if name in ORDER else len(ORDER)
    sized = SIZE_ORDER.index(size) if size in SIZE_ORDER else len(SIZE_ORDER)
    return sized, rank, str(document.get("database", ""))


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and abs(value) < 10:
        return f"{value:.3g}"
    return f"{value:,.0f}"


def _met(figure: dict[str, Any]) -> str:
    met = figure.get("met")
    return "" if met is None else ("yes" if met else "**no**")


def _target(figure: dict[str, Any]) -> str:
    if figure.get("target") is None:
        return ""
    op = "≥" if figure.get("op") == ">=" else "≤"
    return f"{op} {_number(figure['target'])}"


def table(documents: list[dict[str, Any]]) -> str:
    lines = [
        "| Size | Benchmark | Database | Figure | Value | Unit | Target | Met | Median of | Date |",
        "|---|---|---|---|---:|---|---|---|---:|---|",
    ]
    for document in documents:
        for figure in document["figures"]:
            cells = [
                document.get("size", ""),
                document.get("benchmark", ""),
                document.get("database", ""),
                figure["name"],
                _number(figure.get("value")),
                figure.get("unit", ""),
                _target(figure),
                _met(figure),
                str(len(figure.get("runs") or [])),
                str(document.get("started_at", ""))[:16].replace("T", " "),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(documents: list[dict[str, Any]]) -> str:
    """Each result's notes, once per distinct note, with the figures it applies to."""
    lines = []
    for document in documents:
        label = f"{document['size']} {document['benchmark']} {document['database']}"
        by_note: dict[str, list[str]] = {}
        for figure in document["figures"]:
            if figure.get("note"):
                by_note.setdefault(figure["note"], []).append(figure["name"])
        lines.extend(f"- {label} ({', '.join(names)}): {note}" for note, names in by_note.items())
    return "\n".join(lines)


def machines(documents: list[dict[str, Any]]) -> str:
    seen: dict[str, list[str]] = {}
    for document in documents:
        m = document.get("machine") or {}
        described = (
            f"{m.get('cpu')}, {m.get('cores')} cores, {m.get('ram_gb')} GB RAM, {m.get('os')}, "
            f"Python {m.get('python')}, SQLite {m.get('sqlite')}, PostgreSQL {m.get('postgresql')}"
        )
        settings = m.get("postgresql_settings")
        if settings:
            described += " (" + ", ".join(f"{k} {v}" for k, v in settings.items()) + ")"
        label = f"{document.get('size')} {document.get('benchmark')} {document.get('database')}"
        seen.setdefault(described, []).append(label + _conditions(m))
    return "\n".join(f"- {d}: {', '.join(runs)}" for d, runs in seen.items())


def _conditions(m: dict[str, Any]) -> str:
    """The load average and the reference work's time when a result was written."""
    found = []
    if m.get("load_average"):
        found.append(f"load {m['load_average']}")
    if m.get("reference_ms"):
        found.append(f"reference {m['reference_ms']} ms")
    return f" ({', '.join(found)})" if found else ""


def durations(folder: Path = RESULTS) -> str:
    lines = [
        "| Size | Databases | Also ran | Started | Duration | Reference work |",
        "|---|---|---|---|---:|---:|",
    ]
    documents = load_results(folder)
    for path in sorted(folder.glob("run-*.json")):
        run = json.loads(path.read_text(encoding="utf-8"))
        minutes = run["duration_s"] / 60
        lines.append(
            f"| {run['size']} | {', '.join(run['databases'])} | {', '.join(run['scripts'])} "
            f"| {run['started_at'][:16]} | {minutes:.1f} min | {_reference(run, documents)} |"
        )
    return "\n".join(lines)


def _reference(run: dict[str, Any], documents: list[dict[str, Any]]) -> str:
    """The median time of the reference work over the results the run wrote: one sample is
    noisy (the same work takes 35 to 70 ms from one second to the next on this machine kind),
    a run's median says how fast its hour was."""
    began = datetime.fromisoformat(run["started_at"]).timestamp()
    ended = began + run["duration_s"]
    samples = [
        d["machine"]["reference_ms"]
        for d in documents
        if d.get("size") == run["size"]
        and (d.get("machine") or {}).get("reference_ms")
        and began <= datetime.fromisoformat(d["started_at"]).timestamp() <= ended
    ]
    if not samples:
        return "-"
    return f"{statistics.median(samples):.1f} ms ({len(samples)} results)"


def render(folder: Path = RESULTS) -> str:
    documents = load_results(folder)
    if not documents:
        return "No results yet: run `make bench`."
    return "\n\n".join(
        [
            table(documents),
            RUNS_HEADING + durations(folder),
            MACHINES_HEADING + machines(documents),
            "Notes:\n\n" + notes(documents),
        ]
    )


def update_readme(readme: Path = README, folder: Path = RESULTS) -> None:
    text = readme.read_text(encoding="utf-8") if readme.exists() else f"{START}\n{END}\n"
    if START not in text or END not in text:
        raise ValueError(f"{readme} lacks the markers {START} and {END}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{render(folder)}\n{END}{tail}", encoding="utf-8")
