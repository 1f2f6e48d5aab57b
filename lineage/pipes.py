"""Whole writes and reads on a pipe's file descriptor, for the store's child processes
(lineage.prepare_frames, lineage.merkle.worker_start)."""

from __future__ import annotations

import os


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data`: a pipe takes a large write in parts."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_all(fd: int) -> bytes:
    """Everything until the writing end is closed."""
    parts: list[bytes] = []
    while part := os.read(fd, 1 << 16):
        parts.append(part)
    return b"".join(parts)
