"""Work the client does while it waits on the database server, instead of sleeping.

A batch ingest on PostgreSQL spends about a third of its time waiting on the server (its reads,
its COPYs), and preparing the batch's later events is pure Python that needs nothing from the
server (docs/PERFORMANCE.md, nineteenth round). `while_waiting(task)` makes every wait of this
thread's store statements (lineage.projection.libpq_pipeline and libpq_copy) run `task` one step
at a time until the server's answer is there, then go on.

A task's step must be short (it delays reading the answer by up to one step) and must not raise:
an exception would leave the connection mid-protocol. It returns False when it has nothing left
to do, and the wait then blocks as usual.
"""

from __future__ import annotations

import select
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Task = Callable[[], bool]
_TASK: ContextVar[Task | None] = ContextVar("mlaudit_idle_task", default=None)


@contextmanager
def while_waiting(task: Task) -> Iterator[None]:
    """Run `task` in this thread's waits on the server until the block ends."""
    token = _TASK.set(task)
    try:
        yield
    finally:
        _TASK.reset(token)


def wait(socket: int, events: int) -> int:
    """Block until `socket` is ready for `events` (select.POLLIN, POLLOUT); the ready events.

    While the thread has an idle task with work left, the socket is polled between its steps.
    """
    poller = select.poll()
    poller.register(socket, events)
    task = _TASK.get()
    if task is not None:
        while not (ready := poller.poll(0)):
            if not task():
                break
        else:
            return ready[0][1]
    ready = poller.poll()
    return ready[0][1] if ready else 0
