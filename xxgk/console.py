"""What the command line shows: tables and progress bars drawn by rich on a terminal, plain lines otherwise.

On a terminal (the stream is a TTY) a table is a rich table and long work (ingest, crawl) a progress bar with
its rate and ETA; written to a file or a pipe (a log, a CI job) a table is plain aligned text and progress is
the work's plain lines, with no escape codes.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from typing import IO

from common.progress import Reporter


def is_terminal(stream: IO | None = None) -> bool:
    stream = stream if stream is not None else sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _text(value: object) -> str:
    return "" if value is None else str(value)


def width(text: str) -> int:
    """Columns the text takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns aligned with spaces (CJK counted double; a column is at most 60 wide, longer text overflows)."""
    cells = [[_text(v) for v in row] for row in rows]
    widths = [min(60, max([width(h), *(width(r[i]) for r in cells)])) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def print_table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[object]], *,
                stream: IO | None = None, numeric: Sequence[str] = ()) -> None:
    """A table: rich on a terminal, plain aligned text otherwise (``title`` as a line before it)."""
    stream = stream if stream is not None else sys.stdout
    if is_terminal(stream):
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, title_justify="left", header_style="bold")
        for header in headers:
            table.add_column(header, justify="right" if header in numeric else "left", overflow="fold")
        for row in rows:
            table.add_row(*(_text(v) for v in row))
        Console(file=stream).print(table)
        return
    if title:
        print(title, file=stream)
    print(plain_table(headers, rows), file=stream)


class TerminalProgress(Reporter):
    """A rich progress bar per piece of work (files or URLs done of the total, rate, elapsed, ETA) on stderr;
    the work's lines are printed above the bars."""

    def __init__(self, stream: IO | None = None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task) -> Text:
                speed = task.finished_speed or task.speed or (
                    task.completed / task.elapsed if task.completed and task.elapsed else None)
                unit = task.fields.get("unit", "")
                return Text(f"{speed:,.1f} {unit}/s" if speed else f"- {unit}/s")

        self.console = Console(file=stream if stream is not None else sys.stderr)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 RateColumn(), TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"),
                                 TimeRemainingColumn(), console=self.console, transient=False)
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> TerminalProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def line(self, text: str) -> None:
        self.progress.console.print(text, markup=False, highlight=False)

    def start(self, name: str, total: int | None, unit: str) -> None:
        if name in self.tasks:
            self.progress.update(self.tasks[name], total=total, completed=0)
            return
        self.tasks[name] = self.progress.add_task(name, total=total, unit=unit)

    def advance(self, name: str, done: int = 0, more: int = 0) -> None:
        if name not in self.tasks:
            return
        task = self.tasks[name]
        if more:
            current = self.progress.tasks[[t.id for t in self.progress.tasks].index(task)].total or 0
            self.progress.update(task, total=current + more)
        if done:
            self.progress.advance(task, done)

    def finish(self, name: str) -> None:
        if name in self.tasks:
            task = self.tasks[name]
            total = self.progress.tasks[[t.id for t in self.progress.tasks].index(task)].total
            self.progress.update(task, completed=total or 0)
            self.progress.stop_task(task)


def progress_for(stream: IO | None = None):
    """A context manager giving the reporter for long work: a progress bar on a terminal, else plain lines."""
    from contextlib import nullcontext

    stream = stream if stream is not None else sys.stderr
    return TerminalProgress(stream) if is_terminal(stream) else nullcontext(Reporter())
