"""A real browser for the report's tests: headless Chromium (Debian package ``chromium``, installed by
``make system-deps``) driven over the DevTools protocol with the ``websockets`` client Prefect brings.

``open_page(url)`` loads a page and returns its console errors, uncaught exceptions, failed loads, the
result of a JavaScript expression and a PNG screenshot.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("no Chromium: `make system-deps` installs the Debian package chromium")


@dataclass
class PageResult:
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, failed loads
    value: object = None  # what the expression evaluated to
    png: bytes = b""


class Browser:
    def __init__(self, width: int = 1280, height: int = 1600):
        self.profile = tempfile.mkdtemp(prefix="xxgk-chromium-")
        self.proc = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        url = None
        while time.monotonic() < deadline and url is None:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            url = match.group(1) if match else None
        if url is None:
            self.close()
            raise RuntimeError("Chromium did not open its DevTools port")
        from websockets.sync.client import connect

        self.ws = connect(url, max_size=64 * 1024 * 1024, open_timeout=30)
        self.next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60,
             events: list | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if events is not None and "method" in reply:
                events.append(reply)

    def open_page(self, url: str, expression: str = "document.title", settle: float = 0.5) -> PageResult:
        events: list[dict] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            for domain in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
                self.send(domain, session=session, events=events)
            self.send("Page.navigate", {"url": url}, session=session, events=events)
            deadline = time.monotonic() + 60
            while not any(e["method"] == "Page.loadEventFired" for e in events):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not load")
                events.append(json.loads(self.ws.recv(timeout=60)))
            end = time.monotonic() + settle
            while time.monotonic() < end:  # late console messages
                try:
                    events.append(json.loads(self.ws.recv(timeout=max(0.05, end - time.monotonic()))))
                except TimeoutError:
                    break
            result = PageResult()
            value = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                              session=session, events=events)
            result.value = value.get("result", {}).get("value")
            shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False},
                             session=session, events=events)
            result.png = base64.b64decode(shot["data"])
            for event in events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                    result.errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                                 for a in params.get("args", [])))
                elif method == "Runtime.exceptionThrown":
                    result.errors.append("exception: " + params["exceptionDetails"].get("text", ""))
                elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                    result.errors.append("log: " + params["entry"].get("text", "") + " " +
                                         params["entry"].get("url", ""))
                elif method == "Network.loadingFailed" and not params.get("canceled"):
                    result.errors.append("load failed: " + params.get("errorText", ""))
            return result
        finally:
            self.send("Target.closeTarget", {"targetId": target})

    def close(self) -> None:
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def png_stats(png: bytes) -> tuple[int, int, float]:
    """(width, height, share of pixels that are not the page's white background)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    inked = sum(n for level, n in enumerate(image.histogram()) if level < 255)
    return image.width, image.height, inked / (image.width * image.height)
