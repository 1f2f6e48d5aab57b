"""The child that prepares a large SQLite batch's later events on the second core.

    python -m lineage.prepare_worker    # started by the store (lineage.prepare_slot)

On SQLite an append is Python from end to end, so the store cannot prepare while it writes, as
it does in a PostgreSQL batch's waits on the server (lineage.preparation). This process reads
the pseudonymizer (the key and the rules: preparing is a pure function of them and the event)
as its first frame on stdin, answers READY, then for each job, `(start, events)`, sends the
results back in order, CHUNK at a time (lineage.prepare_frames), so the store appends the first
ones while it prepares the rest. A preparing that raises ends the job there with a frame naming
the error; the store prepares that event again and raises it itself. Its stdout carries only
frames; it exits at the end of its stdin, and leaves a ^C to the store.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys

from lineage.prepare import RawEvent, prepare_one
from lineage.prepare_frames import READY, FrameReader, PeerGone, Result, write_frame
from lineage.privacy.apply import Pseudonymizer

CHUNK = 50  # results a frame: small, so the store's first wait is short


def _serve(stdin: int, stdout: int) -> None:
    reader = FrameReader(stdin, stall=None)  # the store may stay idle for hours
    try:
        privacy: Pseudonymizer = reader.frame()
    except PeerGone:  # the store closed before sending anything
        return
    write_frame(stdout, READY)
    gc.freeze()  # the modules and the checks stay; jobs make garbage without cycles
    while True:
        # Off while a job is loaded too: loading a large one (a bulk import's 5,000 events)
        # with the collector on ran its collections over the half-built job again and again.
        gc.disable()
        try:
            start, raw = reader.frame()
        except PeerGone:
            return
        try:
            _prepare(start, raw, privacy, stdout)
        finally:
            gc.enable()


def _prepare(start: int, raw: list[RawEvent], privacy: Pseudonymizer, stdout: int) -> None:
    results: list[Result] = []
    for offset, item in enumerate(raw):
        try:
            results.append(prepare_one(start + offset, item, privacy=privacy))
        except Exception as exc:  # the store prepares it again, and raises it itself
            write_frame(stdout, f"{type(exc).__name__}: {exc}")
            return
        if len(results) == CHUNK or offset == len(raw) - 1:
            write_frame(stdout, results)
            results = []


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a ^C is the store's to handle; EOF ends this
    frames = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing printed may corrupt the frames
    with contextlib.suppress(BrokenPipeError):  # the store closed its end during a job
        _serve(sys.stdin.fileno(), frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
