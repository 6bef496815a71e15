"""Pages are parsed in worker processes with a time limit, never in the crawl's event loop.

``parse_page`` reads one stored page (listing or report page) and returns what the crawl needs from
it: the charset it was decoded with, its links (a report page: its attachment links only) and, for
a listing, its further listing pages. It runs in a ``PageParser`` worker: a spawned process that
parses one page at a time and is killed when a page takes longer than its time limit (lexbor's tree
builder is quadratic in the nesting depth and runs in C, where no signal handler can interrupt it),
so a hostile page costs its source ``parse_timeout`` seconds, and the event loop keeps serving the
other sources meanwhile. Decoded pages live only in the worker, for as long as one page is parsed.

A worker also exits on its own when the crawl's process is gone (it checks every second), so a
killed crawl leaves no parser behind.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from common.encoding import decode_html
from common.errors import ExtractionError
from common.markup import check_markup
from xxgk.crawl.links import Link, extract_links, find_attachments, find_pagination


@dataclass(slots=True)
class ParseJob:
    path: str
    base_url: str  # the page's final URL, links resolve against it
    charset_hint: str | None
    kind: str  # "listing" or "page"
    max_pages: int = 50  # further listing pages kept


@dataclass(slots=True)
class ParsedPage:
    charset: str
    links: list[Link] = field(default_factory=list)  # a listing's links; a report page's attachments
    pagination: list[str] = field(default_factory=list)


class ParseError(Exception):
    """A page the crawl could not read: ``code`` is a crawl error code (parse_error, parse_timeout ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def parse_page(job: ParseJob) -> ParsedPage:
    """Decode, check the structure caps, parse and read the links of one stored page (in a worker)."""
    from selectolax.lexbor import LexborHTMLParser

    text, charset = decode_html(Path(job.path).read_bytes(), job.charset_hint)
    check_markup(text)
    tree = LexborHTMLParser(text)
    links = extract_links(tree, job.base_url)
    if job.kind == "listing":
        return ParsedPage(charset, links, find_pagination(text, job.base_url, links, job.max_pages))
    return ParsedPage(charset, find_attachments(links))


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _serve(conn, parent: int) -> None:  # pragma: no cover - runs in the worker process
    """The worker's loop: one job at a time until the pipe closes (or the parent is gone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the crawl stops us
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            result: ParsedPage | tuple[str, str] = parse_page(job)
        except ExtractionError as exc:
            result = (exc.code, exc.message)
        except Exception as exc:  # hostile input nobody foresaw: the page fails, not the crawl
            result = ("parse_error", f"{type(exc).__name__}: {exc}"[:500])
        try:
            conn.send(result)
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, ctx) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, os.getpid()), daemon=True, name="xxgk-page-parser")
        self.process.start()
        child.close()

    def receive(self, seconds: float):
        if not self.conn.poll(seconds):
            raise TimeoutError
        return self.conn.recv()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def close(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(2)
        self.kill()


class PageParser:
    """Up to ``workers`` parser processes for one crawl, started when first needed, killed on a timeout."""

    def __init__(self, workers: int = 2):
        self.workers = max(1, workers)
        self._ctx = multiprocessing.get_context("spawn")  # as the extraction pool: no fork of a threaded process
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._slots: asyncio.Semaphore | None = None
        self.killed = 0  # workers killed for running past their time limit (or cancelled)

    async def parse(self, job: ParseJob, seconds: float) -> ParsedPage:
        """Parse one page in a worker within ``seconds``; raises ``ParseError`` with the reason."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        loop = asyncio.get_running_loop()
        async with self._slots:
            worker = self._idle.pop() if self._idle else await loop.run_in_executor(None, _Worker, self._ctx)
            self._busy.add(worker)
            healthy = False
            try:
                worker.conn.send(job)
                result = await loop.run_in_executor(None, worker.receive, seconds)
                healthy = True
            except TimeoutError:
                raise ParseError("parse_timeout", f"parsing the page took longer than {seconds:g} s: "
                                                  "its parser process was killed") from None
            except (EOFError, OSError, BrokenPipeError) as exc:
                raise ParseError("parse_error", f"the parser process died ({type(exc).__name__}): "
                                                "crash or out of memory") from None
            finally:  # a timeout, a crash or a cancelled crawl (source deadline): the worker goes
                self._busy.discard(worker)
                if healthy:
                    self._idle.append(worker)
                else:
                    self.killed += 1
                    worker.kill()
        if isinstance(result, tuple):
            raise ParseError(*result)
        return result

    def close(self) -> None:
        """Stop every worker (the idle ones politely, busy ones by force)."""
        for worker in list(self._busy):
            worker.kill()
        for worker in self._idle:
            worker.close()
        self._idle.clear()
        self._busy.clear()
