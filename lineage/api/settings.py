"""Defaults of the HTTP API, in a module without FastAPI so the CLI's help stays fast."""

from __future__ import annotations

from sqlalchemy.engine import make_url

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_MAX_BODY = 5 * 1024 * 1024  # bytes, on the wire and after decompression
DEFAULT_MAX_DEPTH = 64  # nesting of arrays and objects in one body
BODY_TIMEOUT_SECONDS = 60.0  # a body trickling in slower than this holds a connection: 408
MAX_CONNECTIONS = 1024  # beyond this uvicorn answers 503 at once (clients retry those)
# Integer query parameters end up in the user action that records the read, and RFC 8785
# canonical JSON holds integers exactly only up to 2**53 - 1.
MAX_JSON_INT = 2**53 - 1

# One process unless asked: writes are serialized by the store's writer lock whatever the
# number of processes, and each worker's group commits are smaller (15-30% more CPU per event
# with two), so more workers only pay where a core would otherwise sit idle, which a shared
# or busy machine does not have.
DEFAULT_WORKERS = 1
# Far more than the machines this runs on have cores; past the cores, workers only contend.
MAX_WORKERS = 64
# What `mlaudit serve --workers N` hands its worker processes (each builds its own app from
# these in `lineage.api.server.worker_app`): the database URL the parent opened and migrated,
# the body limit, and the parent's pid (a worker stops when it dies: lineage.api.orphans).
WORKER_DB_ENV = "MLAUDIT_SERVE_DATABASE_URL"
WORKER_MAX_BODY_ENV = "MLAUDIT_SERVE_MAX_BODY"
WORKER_PARENT_ENV = "MLAUDIT_SERVE_SUPERVISOR_PID"


def workers_problem(url: str, workers: int) -> str | None:
    """Why `workers` processes cannot serve the database at `url`, or None when they can."""
    if not 1 <= workers <= MAX_WORKERS:
        return f"--workers must be between 1 and {MAX_WORKERS}, not {workers}"
    if workers > 1 and _in_memory(url):
        return (
            "an in-memory SQLite database belongs to one process, so --workers above 1 would "
            "give each worker its own empty store: use a database file or PostgreSQL"
        )
    return None


def _in_memory(url: str) -> bool:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or parsed.query.get("mode") == "memory"
