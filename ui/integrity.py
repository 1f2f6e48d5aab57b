"""The integrity status: a full `verify` in the background, its last result shown at once.

A full check re-hashes every entry (seconds on a million entries), so pages never wait for it:
one verification runs per store at a time, started from a thread when the last result is older
than VERIFY_TTL or someone asks for a fresh one; pages show the latest finished result and when
it was taken. A small log is checked in that thread within WAIT seconds, so its result appears
on first load. A large one is checked in a child process at a lower priority
(lineage.verify_process), and no page waits for it: in the server's thread it would hold the
interpreter lock and both cores for seconds, and every page drawn meanwhile would wait.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from lineage.timeutil import now_store_time
from lineage.verify import log_size, report_json, verify_log
from lineage.verify_process import verify_in_child
from ui import data

log = logging.getLogger(__name__)
VERIFY_TTL = 300  # seconds between background checks
WAIT = 3.0  # seconds a page waits for a check it started in its own thread
# From this size the check runs in a child process: at 50,000 entries it takes about half a
# second. Below it, it runs in one pass in the server (verify would take the second core for a
# worker process from 10,000 entries on SQLite, lineage.merkle.parallel).
CHILD_FROM = 50_000


@dataclass
class Integrity:
    report: dict[str, Any] | None = None  # the last finished check, with "checked_at"
    error: str | None = None
    started_at: str | None = None  # of the running check; None when idle
    finished: float = 0.0  # monotonic time of the last finished check
    lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource(show_spinner=False)
def _status(db: str) -> Integrity:
    """One status per store and process, shared by every session."""
    return Integrity()


def status(*, refresh: bool = False) -> Integrity:
    """The latest result; starts a check in the background when stale (or asked to)."""
    url, store = data.url(), data.store()
    state, worker, in_child = _status(url), None, False
    with state.lock:
        stale = state.report is None or time.monotonic() - state.finished > VERIFY_TTL
        if (stale or refresh) and state.started_at is None:
            state.started_at = now_store_time()
            in_child = log_size(store.engine) >= CHILD_FROM
            worker = threading.Thread(
                target=_check, args=(state, store, url if in_child else None), daemon=True
            )
            worker.start()
    if worker is not None and not in_child:
        worker.join(WAIT)
    return state


def _check(state: Integrity, store: Any, child_url: str | None) -> None:
    """Check the store, in this thread or (given its URL) in a child process."""
    try:
        if child_url is not None:
            report = verify_in_child(child_url, store.settings.keys_dir)
        else:
            checked = verify_log(store.engine, keys=store.keys, parallel_from=sys.maxsize)
            report = {**report_json(checked)}
        report["checked_at"] = now_store_time()
        error = None
    except Exception as exc:  # shown on the page; the next check retries
        log.exception("integrity check failed to run")
        report, error = None, f"{type(exc).__name__}: {exc}"
    with state.lock:
        if report is not None:
            state.report = report
        state.error = error
        state.started_at = None
        state.finished = time.monotonic()


def archive_note(report: dict[str, Any]) -> tuple[str, bool] | None:
    """What the check said of archived segments, and whether archive files are missing.

    None when nothing is archived. A missing file is not a failed check (archives move to cold
    storage), but the entries it held can no longer be shown, so it is said plainly.
    """
    archive = report.get("archive") or {}
    if not archive.get("segments"):
        return None
    note = (
        f"{archive['segments']} archived segment(s) holding {archive['entries']:,} entries are "
        f"bridged by their signed boundaries; {archive['files_checked']} archive file(s) checked."
    )
    missing = archive.get("files_missing") or []
    if missing:
        listed = ", ".join(f"`{path}`" for path in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        note += f" **{len(missing)} archive file(s) missing**: {listed}{more}."
    return note, bool(missing)


def logged_entries(report: dict[str, Any]) -> int:
    """Entries the log has ever held: those in the database and those archived."""
    return int(report["entries"]) + int((report.get("archive") or {}).get("entries", 0))
