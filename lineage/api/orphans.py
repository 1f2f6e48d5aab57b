"""A worker of `mlaudit serve --workers N` stops when its supervisor dies, however it dies.

The supervisor forwards SIGTERM and SIGINT to its workers, but a supervisor killed outright
(SIGKILL, the OOM killer) forwards nothing: its workers went on serving the port and writing to
the store with nobody left to stop them or to restart one that failed. On Linux each worker
asks the kernel for SIGTERM when its parent exits (prctl PR_SET_PDEATHSIG), so it drains and
stops as it would on a forwarded SIGTERM. Elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def stop_with_parent(parent: int) -> bool:
    """Have SIGTERM sent to this process when `parent` (its parent's pid) exits; True if set.

    The signal follows the parent thread that made this process: uvicorn's supervisor makes
    and remakes its workers from its main thread, which lives as long as the supervisor.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        log.warning("cannot ask to stop with the supervisor: errno %d", ctypes.get_errno())
        return False
    if os.getppid() != parent:  # the parent died before the request: nobody will signal
        os.kill(os.getpid(), signal.SIGTERM)
    return True
