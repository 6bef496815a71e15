"""A fake government web site on 127.0.0.1 for crawler tests: real sockets, a request log.

Each route is a function ``(Request) -> Reply``. ``static`` builds a route that answers
conditional requests (ETag / Last-Modified -> 304) the way a real server does. Replies can be
delayed, trickled chunk by chunk, or sent without Content-Length (connection-close body).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


@dataclass
class Request:
    """What the server saw (and answered)."""

    path: str
    headers: dict[str, str]
    started: float
    status: int | None = None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before anything is sent
    trickle: tuple[int, float] | None = None  # (chunk bytes, seconds between chunks)
    no_length: bool = False  # omit Content-Length, close the connection after the body


Route = Callable[[Request], Reply]


def static(body: bytes, content_type: str) -> Route:
    """A route serving fixed bytes with ETag and Last-Modified, answering 304 when unchanged."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

    def route(req: Request) -> Reply:
        headers = {"Content-Type": content_type, "ETag": etag, "Last-Modified": LAST_MODIFIED}
        if req.headers.get("if-none-match") == etag or (
            "if-none-match" not in req.headers and req.headers.get("if-modified-since") == LAST_MODIFIED
        ):
            return Reply(304, b"", headers)
        return Reply(200, body, headers)

    return route


class FakeSite:
    """A threaded HTTP server with a route table and a log of every request."""

    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                req = Request(path=self.path, headers={k.lower(): v for k, v in self.headers.items()},
                              started=time.monotonic())
                with site._lock:
                    site.log.append(req)
                route = site.routes.get(self.path.split("?", 1)[0])
                reply = route(req) if route else Reply(404, b"not found", {"Content-Type": "text/plain"})
                req.status = reply.status
                if reply.delay and site.stopping.wait(reply.delay):
                    return
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.no_length:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.status == 304:
                    return
                if reply.trickle:
                    size, pause = reply.trickle
                    for i in range(0, len(reply.body), size):
                        self.wfile.write(reply.body[i:i + size])
                        self.wfile.flush()
                        if site.stopping.wait(pause):
                            return
                else:
                    self.wfile.write(reply.body)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.host = host
        self.port = self.server.server_address[1]
        self.netloc = f"{host}:{self.port}"
        self.base = f"http://{self.netloc}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def requests(self, path: str | None = None) -> list[Request]:
        """Logged requests, optionally only those for one path."""
        with self._lock:
            return [r for r in self.log if path is None or r.path == path]

    def mark(self) -> int:
        """The current log length, to slice the log by crawl."""
        with self._lock:
            return len(self.log)
