"""Stopping a run on SIGTERM or SIGINT: what was started is stopped, what was written temporarily goes.

``install_stop_handlers`` (the CLI calls it) turns the first SIGTERM or SIGINT into: every registered
stop callback runs (xxgk/executor.py registers one that kills the extraction workers, so no batch is
re-run in a new pool), then ``KeyboardInterrupt`` is raised in the main thread, so every ``finally``
on the way out runs (the spool folder, the build file, the export's temporary folder) and, at exit,
Prefect stops its temporary API server. Later signals are ignored: the run is already leaving.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

_STOPPING = threading.Event()
_CALLBACKS: list[Callable[[], None]] = []


def on_stop(callback: Callable[[], None]) -> None:
    """Run ``callback`` when the run is asked to stop (once; exceptions are swallowed)."""
    _CALLBACKS.append(callback)


def stopping() -> bool:
    return _STOPPING.is_set()


def request_stop() -> None:
    _STOPPING.set()
    for callback in list(_CALLBACKS):
        try:
            callback()
        except Exception:  # stopping must go on whatever one callback meets
            pass


def install_stop_handlers() -> None:
    """SIGTERM and SIGINT stop the run (see the module docstring); only from the main thread."""
    def stop(signum, frame):
        if _STOPPING.is_set():
            return
        request_stop()
        raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
