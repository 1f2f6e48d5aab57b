"""`verify_log` in a child process of its own, on one core at a lower priority, for servers.

A server that re-checks a large log in the background (the app's integrity status) must not make
the people using it wait. Run in one of the server's threads, the check holds its interpreter
lock most of the time (hashlib keeps it for an entry under 2 KiB) and, on a large log, takes
both cores (verify splits in two, lineage.merkle.parallel). Here it runs in one process, in one
pass, that lowers its own priority first; the server's thread only waits on its pipe.

At a million entries (a 1M generator store; sign in, which starts the check, then trace five
deep models; seconds from the search to the graph on screen, median and slowest of the five):
in the server's thread, six runs, medians 0.87-1.25, slowest 1.19-2.14; in a child at nice 10
on both cores, six runs alternated with those, 0.88-1.16 and 1.13-1.79; in a child on one core,
three runs, 0.80-0.92 and 1.25-1.40; with no check at all, two runs, 0.58-0.85 and 0.99-1.04.
The check still costs the first traces something (it reads the whole log through the same
memory), but a core is left to the people using the app. It takes twice as long, which a check
every few minutes can afford.

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
    os.nice(max(0, args.nice))  # before any work: the whole check runs at this priority
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
        # One pass: the two-core split would take the core the server's users need.
        one_pass = verify_log(engine, keys=KeyStore(settings.keys_dir), parallel_from=sys.maxsize)
        return report_json(one_pass)
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
