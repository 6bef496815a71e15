"""Progress of long work (ingest, crawl): the code doing the work says how far it got, the face decides
how it shows (xxgk/console.py: a bar with rate and ETA on a terminal). The default reporter prints the
work's lines to stderr and draws no bar, as a log wants.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager


class Reporter:
    """Plain lines on stderr; ``start``/``advance`` draw nothing."""

    def line(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def start(self, name: str, total: int | None, unit: str) -> None:
        """Work named ``name`` begins: ``total`` units (None: not known yet)."""

    def advance(self, name: str, done: int = 0, more: int = 0) -> None:
        """``done`` more units finished; ``more`` units found to do (a crawl learns its total as it goes)."""

    def finish(self, name: str) -> None:
        """The work is over (its bar, if any, is completed)."""


_current: list[Reporter] = [Reporter()]


def reporter() -> Reporter:
    return _current[-1]


@contextmanager
def reporting(rep: Reporter):
    """Use ``rep`` for the duration of the block."""
    _current.append(rep)
    try:
        yield rep
    finally:
        _current.remove(rep)
