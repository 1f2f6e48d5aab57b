"""`verify_log` in a child process of its own, at a lower CPU priority, for long-running servers.

A server that re-checks a large log in the background (the app's integrity status) must not make
the people using it wait. Run in one of the server's threads, the check holds its interpreter
lock most of the time (hashlib keeps it for an entry under 2 KiB) and takes both cores from the
pages being drawn. Here it runs in a process that lowers its own priority first, so the
operating system gives the cores to the server whenever both want them, and the server's thread
only waits on a pipe. At a million entries, signing in to the app (which starts the check) and
tracing five deep models at once, three alternated runs each: the graphs were on screen in a
median of 0.88-0.96 s (slowest 1.13-1.37) against 0.94-1.22 s (slowest 1.36-1.61) with the
check in the server's thread.

    python -m lineage.verify_process --nice 10     # the store of MLAUDIT_* (URL and keys)

prints the report of `mlaudit verify --json` on stdout; exit 0 whatever the report says, 2 when
the check could not run (the reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from lineage.settings import Settings

NICE = 10  # below interactive work; the check still finishes on an idle machine as fast
ERROR_EXIT = 2


class VerifyProcessError(RuntimeError):
    """The child could not check the log (the database unreachable, the keys unreadable...)."""


def verify_in_child(url: str, keys_dir: Path, *, nice: int = NICE) -> dict[str, Any]:
    """The report of a full `verify_log` of the store at `url`, run in a child process.

    The URL travels in the child's environment, not its command line, which other users of the
    machine can read."""
    env = {**os.environ, "MLAUDIT_DATABASE_URL": url, "MLAUDIT_KEYS_DIR": str(keys_dir)}
    command = [sys.executable, "-m", "lineage.verify_process", "--nice", str(int(nice))]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise VerifyProcessError(reason[0])
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nice", type=int, default=NICE, help="added to this process's niceness")
    args = parser.parse_args(argv)
    os.nice(max(0, args.nice))  # children (the second half of a two-core check) inherit it
    try:
        report = _report(Settings.from_env())
    except Exception as exc:  # the parent shows the reason: it has no traceback to give
        first = (str(exc).strip().splitlines() or [""])[0]  # drivers add lines of advice
        print(f"{type(exc).__name__}: {first}", file=sys.stderr)
        return ERROR_EXIT
    sys.stdout.write(json.dumps(report))
    return 0


def _report(settings: Settings) -> dict[str, Any]:
    from lineage.db import create_store_engine
    from lineage.keys import KeyStore
    from lineage.verify import report_json, verify_log

    engine = create_store_engine(settings.database_url)
    try:
        return report_json(verify_log(engine, keys=KeyStore(settings.keys_dir)))
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
