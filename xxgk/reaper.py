"""A killed ingest leaves nothing running, not even after SIGKILL.

``start_reaper`` (the CLI calls it for ``xxgk ingest``) marks the process and everything it starts with
``XXGK_RUN_ID`` in the environment, and starts ``python -m xxgk.reaper`` holding the read end of a
pipe whose write end only the ingest process holds. However that process ends (SIGKILL included),
the pipe then closes, and the reaper stops every process still carrying the mark: Prefect's temporary
API server, extraction workers, the multiprocessing resource tracker, page parsers, a LibreOffice
conversion. SIGTERM first, SIGKILL five seconds later. The reaper does nothing else and exits; it
ignores SIGINT and SIGTERM (a Ctrl-C reaches the whole process group; the run handles it, and the
reaper still sweeps after it). Linux only (it reads ``/proc``); elsewhere nothing is started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ENV = "XXGK_RUN_ID"
GRACE_SECONDS = 5.0
_KEEP: list[int] = []  # the pipe's write end, open for this process's whole life


def start_reaper() -> str | None:
    """Mark this process's run and start its reaper (once per process); returns the run id."""
    if os.environ.get(ENV) or not Path("/proc/self/environ").exists():
        return os.environ.get(ENV)
    run_id = f"{os.getpid()}-{time.time_ns()}"
    read, write = os.pipe()  # not inheritable: no child of ours holds the write end
    subprocess.Popen([sys.executable, "-m", "xxgk.reaper", run_id, str(read)], pass_fds=(read,),
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     env={**os.environ, ENV: run_id})
    os.close(read)
    _KEEP.append(write)
    os.environ[ENV] = run_id  # from now on, everything this process starts carries the mark
    return run_id


def marked(run_id: str) -> list[int]:
    """Processes (other than this one) whose environment carries ``XXGK_RUN_ID=run_id``."""
    mark = f"\0{ENV}={run_id}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = b"\0" + (entry / "environ").read_bytes() + b"\0"
        except OSError:  # gone, or not ours to read
            continue
        if mark in environ:
            found.append(int(entry.name))
    return found


def sweep(run_id: str, grace: float = GRACE_SECONDS) -> list[int]:
    """SIGTERM every marked process, SIGKILL those still there after ``grace`` seconds; returns their pids."""
    pids = marked(run_id)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and marked(run_id):
        time.sleep(0.2)
    for pid in marked(run_id):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return pids


def main(argv: list[str]) -> int:
    run_id, fd = argv[0], int(argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            if not os.read(fd, 1024):
                break  # the run's process is gone
        except InterruptedError:
            continue
        except OSError:
            break
    sweep(run_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
